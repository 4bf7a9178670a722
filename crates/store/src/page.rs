//! The cursor-style lists (`next`) of CONTRACT.md "Lists": typed limit and order, a position in
//! list order, and cursors that carry that position under a MAC, so that one this server did
//! not issue (or issued for another list) is refused instead of trusted.
//!
//! The first/last lists of CONTRACT.md (projects and what lives in a project) take an id as
//! `after`: [`FirstQuery`] carries it until the store places it ([`FirstList`] says which list it
//! belongs to), and then the page is read like a cursor-style one. Users' list keeps its own
//! cursor (a user id whose position the store keeps, see `UserQuery`). Every style ends in
//! [`fetched_page`], which tells `has_more` from one extra row.

use std::cmp::Ordering;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};

use crate::{Kind, OrgId};

/// Sort order of a cursor-style list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Oldest first.
    #[default]
    Asc,
    /// Newest first.
    Desc,
}

impl SortOrder {
    /// `asc` or `desc`; anything else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "asc" => Some(Self::Asc),
            "desc" => Some(Self::Desc),
            _ => None,
        }
    }

    /// The SQL keyword.
    pub fn sql(self) -> &'static str {
        match self {
            Self::Asc => "ASC",
            Self::Desc => "DESC",
        }
    }

    /// The comparison that selects rows after a position in this order.
    pub fn after_sql(self) -> &'static str {
        match self {
            Self::Asc => ">",
            Self::Desc => "<",
        }
    }
}

/// A place in list order: creation time (or membership time), ties broken by id in byte order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// Unix seconds; predefined roles sort at 0, before everything created.
    pub at: i64,
    /// The item's id.
    pub id: String,
}

impl Position {
    /// The position of `id` created at `at`.
    pub fn new(at: i64, id: impl Into<String>) -> Self {
        Self { at, id: id.into() }
    }
}

/// The bounds and defaults of one endpoint's `limit` and `order` (the spec's, per endpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListBounds {
    /// Largest `limit` accepted.
    pub max_limit: usize,
    /// `limit` when none is given.
    pub default_limit: usize,
    /// `order` when none is given.
    pub default_order: SortOrder,
}

impl ListBounds {
    /// `/organization/roles`.
    pub const ROLES: Self = Self::new(1000, 1000, SortOrder::Asc);
    /// `/organization/groups`.
    pub const GROUPS: Self = Self::new(1000, 100, SortOrder::Asc);
    /// `/organization/groups/{group_id}/users`.
    pub const GROUP_USERS: Self = Self::new(1000, 100, SortOrder::Desc);
    /// Role assignments of users and groups.
    pub const ASSIGNMENTS: Self = Self::new(1000, 1000, SortOrder::Asc);
    /// `/organization/projects/{project_id}/groups`.
    pub const PROJECT_GROUPS: Self = Self::new(100, 20, SortOrder::Asc);

    const fn new(max_limit: usize, default_limit: usize, default_order: SortOrder) -> Self {
        Self {
            max_limit,
            default_limit,
            default_order,
        }
    }
}

/// What a cursor-style list request asks for, already checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextQuery {
    /// Page size, 0 included.
    pub limit: usize,
    /// List order.
    pub order: SortOrder,
    /// The page starts after this position.
    pub after: Option<Position>,
}

impl NextQuery {
    /// The first page at the defaults of `bounds`.
    pub fn first(bounds: ListBounds) -> Self {
        Self {
            limit: bounds.default_limit,
            order: bounds.default_order,
            after: None,
        }
    }

    /// Rows to fetch: one more than the page, to tell whether another follows.
    pub fn fetch(&self) -> i64 {
        i64::try_from(self.limit)
            .unwrap_or(i64::MAX)
            .saturating_add(1)
    }

    /// Where a keyset query starts, `(at, id)`: the cursor, or past either end of the list when
    /// there is none (for `(at, id) > start` ascending, `< start` descending).
    pub fn start(&self) -> (i64, &str) {
        match (&self.after, self.order) {
            (Some(p), _) => (p.at, p.id.as_str()),
            (None, SortOrder::Asc) => (i64::MIN, ""),
            (None, SortOrder::Desc) => (i64::MAX, ""),
        }
    }

    /// Whether `position` comes after the cursor in this order.
    pub fn admits(&self, position: &Position) -> bool {
        self.after
            .as_ref()
            .is_none_or(|after| self.compare(position, after) == Ordering::Greater)
    }

    fn compare(&self, a: &Position, b: &Position) -> Ordering {
        match self.order {
            SortOrder::Asc => a.cmp(b),
            SortOrder::Desc => b.cmp(a),
        }
    }

    /// Puts positioned items of a list held in memory (or merged from several sources) in list
    /// order, keeps those after the cursor and at most [`Self::fetch`] of them.
    pub fn select<T>(&self, mut items: Vec<(Position, T)>) -> Vec<(Position, T)> {
        items.retain(|(position, _)| self.admits(position));
        items.sort_by(|(a, _), (b, _)| self.compare(a, b));
        items.truncate(usize::try_from(self.fetch()).unwrap_or(usize::MAX));
        items
    }
}

/// A first/last list: its name where the positions of departed items are kept, and the kind of
/// object its `after` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstList {
    /// `projects`, `project.users`, `project.service_accounts`, `project.api_keys`, `invites`.
    pub list: &'static str,
    /// What its items are.
    pub kind: Kind,
}

impl FirstList {
    /// `/organization/projects` (projects are archived, never deleted).
    pub const PROJECTS: Self = Self::new("projects", Kind::Project);
    /// `/organization/projects/{project_id}/users`.
    pub const PROJECT_USERS: Self = Self::new("project.users", Kind::User);
    /// `/organization/projects/{project_id}/service_accounts`.
    pub const SERVICE_ACCOUNTS: Self = Self::new("project.service_accounts", Kind::ServiceAccount);
    /// `/organization/projects/{project_id}/api_keys`.
    pub const PROJECT_API_KEYS: Self = Self::new("project.api_keys", Kind::ApiKey);
    /// `/organization/invites`.
    pub const INVITES: Self = Self::new("invites", Kind::Invite);
    /// `/organization/admin_api_keys`.
    pub const ADMIN_API_KEYS: Self = Self::new("admin_api_keys", Kind::AdminApiKey);

    const fn new(list: &'static str, kind: Kind) -> Self {
        Self { list, kind }
    }
}

/// What a first/last list request asks for, already checked: `limit` 1 to 100 and `after` an id
/// of the list, which the store turns into a position ([`Self::placed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstQuery {
    /// Page size.
    pub limit: usize,
    /// The id of the item the page starts after.
    pub after: Option<String>,
}

impl FirstQuery {
    /// The first page at the default size.
    pub fn first() -> Self {
        Self {
            limit: crate::PageLimit::DEFAULT.get(),
            after: None,
        }
    }

    /// The same page as a keyset query from `after`, the position of [`Self::after`], oldest
    /// first.
    pub fn placed(&self, after: Option<Position>) -> NextQuery {
        NextQuery {
            limit: self.limit,
            order: SortOrder::Asc,
            after,
        }
    }
}

/// One page of a cursor-style list, in list order.
#[derive(Debug, Clone, PartialEq)]
pub struct NextPage<T> {
    /// The items.
    pub items: Vec<T>,
    /// Whether another page follows.
    pub has_more: bool,
    /// The position to continue after, when another page follows.
    pub next: Option<Position>,
}

/// Cuts rows fetched in list order (up to `limit + 1`) to a page. `limit = 0` gives an empty
/// page whose `has_more` says whether the list has anything, and no `next`.
pub fn fetched_page<T>(mut rows: Vec<(Position, T)>, limit: usize) -> NextPage<T> {
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    let next = if has_more && limit > 0 {
        rows.last().map(|(position, _)| position.clone())
    } else {
        None
    };
    NextPage {
        items: rows.into_iter().map(|(_, item)| item).collect(),
        has_more,
        next,
    }
}

/// Which list a cursor belongs to: the list's name, its organization and its parent's id (the
/// group of a group's users, …; empty for top-level lists).
#[derive(Debug, Clone, Copy)]
pub struct ListScope<'a> {
    /// `roles`, `groups`, `group.users`, `user.roles`, `group.roles`.
    pub list: &'static str,
    /// The organization listed.
    pub org: &'a OrgId,
    /// The parent object's id.
    pub parent: &'a str,
}

/// The cursor was not issued by this store for this list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignCursor;

type CursorMac = hmac::Hmac<sha2::Sha256>;

/// Bytes of the MAC kept in a cursor: enough that guessing one is hopeless, short enough to keep
/// cursors readable.
const MAC_BYTES: usize = 16;

/// The store's secret for cursors; every instance over the same database shares it.
#[derive(Clone)]
pub struct CursorKey([u8; 32]);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(***)")
    }
}

impl CursorKey {
    /// A key from stored bytes (the store makes and keeps them).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Fresh random bytes for a new store.
    pub fn generate_bytes() -> [u8; 32] {
        rand::random()
    }

    fn mac(&self, scope: &ListScope<'_>, body: &str) -> Result<CursorMac, ForeignCursor> {
        let mut mac = CursorMac::new_from_slice(&self.0).map_err(|_| ForeignCursor)?;
        for part in [scope.list, scope.org.as_str(), scope.parent, body] {
            mac.update(&(part.len() as u64).to_le_bytes());
            mac.update(part.as_bytes());
        }
        Ok(mac)
    }

    /// The `next` of a page that ends at `position`.
    pub fn issue(&self, scope: &ListScope<'_>, position: &Position) -> String {
        let body = format!("{}.{}", position.at, position.id);
        let tag = self
            .mac(scope, &body)
            .map(|mac| mac.finalize().into_bytes()[..MAC_BYTES].to_vec())
            .unwrap_or_default();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(body),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The position a cursor of `scope` carries.
    pub fn check(&self, scope: &ListScope<'_>, cursor: &str) -> Result<Position, ForeignCursor> {
        let (body, tag) = cursor.split_once('.').ok_or(ForeignCursor)?;
        let body = URL_SAFE_NO_PAD.decode(body).map_err(|_| ForeignCursor)?;
        let body = String::from_utf8(body).map_err(|_| ForeignCursor)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| ForeignCursor)?;
        // A shorter tag would be checked on fewer bytes: refuse it before comparing.
        if tag.len() != MAC_BYTES {
            return Err(ForeignCursor);
        }
        self.mac(scope, &body)?
            .verify_truncated_left(&tag)
            .map_err(|_| ForeignCursor)?;
        let (at, id) = body.split_once('.').ok_or(ForeignCursor)?;
        let at = at.parse().map_err(|_| ForeignCursor)?;
        Ok(Position::new(at, id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(s: &str) -> OrgId {
        OrgId::parse(s).unwrap()
    }

    #[test]
    fn cursors_round_trip_only_in_their_scope() {
        let key = CursorKey::from_bytes([7; 32]);
        let a = org("org-a");
        let scope = ListScope {
            list: "groups",
            org: &a,
            parent: "",
        };
        let position = Position::new(1_700_000_000, "group_x.y");
        let cursor = key.issue(&scope, &position);
        assert_eq!(key.check(&scope, &cursor), Ok(position.clone()));

        let b = org("org-b");
        let other_org = ListScope { org: &b, ..scope };
        let other_list = ListScope {
            list: "roles",
            ..scope
        };
        let other_parent = ListScope {
            parent: "group_1",
            ..scope
        };
        for wrong in [other_org, other_list, other_parent] {
            assert_eq!(key.check(&wrong, &cursor), Err(ForeignCursor));
        }
        let other_key = CursorKey::from_bytes([8; 32]);
        assert_eq!(other_key.check(&scope, &cursor), Err(ForeignCursor));
        for forged in ["", "group_x", "a.b", &cursor[1..], &format!("{cursor}A")] {
            assert_eq!(key.check(&scope, forged), Err(ForeignCursor), "{forged}");
        }
    }

    #[test]
    fn pages_from_fetched_rows() {
        let rows = |n: usize| -> Vec<(Position, usize)> {
            (0..n).map(|i| (Position::new(i as i64, "x"), i)).collect()
        };
        let page = fetched_page(rows(3), 2);
        assert_eq!((page.items, page.has_more), (vec![0, 1], true));
        assert_eq!(page.next, Some(Position::new(1, "x")));
        let last = fetched_page(rows(2), 2);
        assert_eq!((last.has_more, last.next), (false, None));
        let empty_probe = fetched_page(rows(1), 0);
        assert_eq!(
            (
                empty_probe.items.len(),
                empty_probe.has_more,
                empty_probe.next
            ),
            (0, true, None)
        );
        assert!(!fetched_page(rows(0), 0).has_more);
    }

    #[test]
    fn selection_follows_order_and_cursor() {
        let items: Vec<(Position, &str)> = vec![
            (Position::new(5, "b"), "b5"),
            (Position::new(0, "z"), "z0"),
            (Position::new(5, "a"), "a5"),
            (Position::new(9, "c"), "c9"),
        ];
        let asc = NextQuery {
            limit: 1,
            order: SortOrder::Asc,
            after: Some(Position::new(5, "a")),
        };
        let picked: Vec<_> = asc
            .select(items.clone())
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        assert_eq!(picked, ["b5", "c9"]);
        let desc = NextQuery {
            limit: 10,
            order: SortOrder::Desc,
            after: Some(Position::new(5, "b")),
        };
        let picked: Vec<_> = desc.select(items).into_iter().map(|(_, v)| v).collect();
        assert_eq!(picked, ["a5", "z0"]);
    }
}

//! What the Roles, Groups, Audit log and Emulator pages share: the query's values, pages of the
//! store's cursor-style lists (signed cursors, as the API issues them) in both directions, the
//! user a form names by email or id, path segments, and times (RFC 3339 in `<time datetime>`,
//! and the times a form gives: `datetime-local`, RFC 3339 or Unix seconds, all UTC).

use std::future::Future;

use maud::{Markup, html};
use orgusers_api::User;
use orgusers_store::page::{ListScope, NextPage, NextQuery, Position, SortOrder};
use orgusers_store::{OrgId, StoreError};

use super::{ConsoleError, PageLinks, date, store_message};
use crate::AppState;

/// The sentence of a cursor this list did not issue or no longer places.
pub(super) const PAGE_GONE: &str =
    "That page of the list is no longer available: start again from the first page.";

/// The first value of `name` in the query, trimmed; `None` when absent or blank.
pub(super) fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Every non-blank value of `name` in the query, trimmed, in order.
pub(super) fn query_values(query: Option<&str>, name: &str) -> Vec<String> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

/// `text` as one path segment: everything but `[A-Za-z0-9._~-]` percent-encoded.
pub(super) fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A page of a cursor-style list and its links.
pub(super) struct CursorPage<T> {
    /// In list order.
    pub items: Vec<T>,
    /// Signed cursors of the pages before and after.
    pub links: PageLinks,
}

/// One page of a cursor-style list of the store (`list_roles`, `list_groups`,
/// `list_group_users`, …), read forwards from `after` or backwards from `before` (both cursors
/// the list's `scope` signed, as the API's `after`), `limit` items in list order `order`.
/// `Ok(Err(sentence))` for a refusal to show on the page (a foreign or unknown cursor).
#[allow(clippy::too_many_arguments)]
pub(super) async fn cursor_page<T, F, Fut>(
    state: &AppState,
    scope: &ListScope<'_>,
    order: SortOrder,
    limit: usize,
    after: Option<&str>,
    before: Option<&str>,
    position: fn(&T) -> Position,
    fetch: F,
) -> Result<Result<CursorPage<T>, String>, ConsoleError>
where
    F: FnOnce(NextQuery) -> Fut,
    Fut: Future<Output = Result<NextPage<T>, StoreError>>,
{
    let key = state.store.cursor_key();
    let (cursor, backwards) = match (after, before) {
        (Some(after), _) => (Some(after), false),
        (None, Some(before)) => (Some(before), true),
        (None, None) => (None, false),
    };
    let start = match cursor.map(|c| key.check(scope, c)).transpose() {
        Ok(start) => start,
        Err(_) => return Ok(Err(PAGE_GONE.to_owned())),
    };
    let order = match (order, backwards) {
        (SortOrder::Asc, true) => SortOrder::Desc,
        (SortOrder::Desc, true) => SortOrder::Asc,
        (order, false) => order,
    };
    let query = NextQuery {
        limit,
        order,
        after: start,
    };
    let mut page = match fetch(query).await {
        Ok(page) => page,
        Err(StoreError::Backend(e)) => return Err(ConsoleError::Internal(e)),
        Err(e) => return Ok(Err(store_message(&e))),
    };
    if backwards {
        page.items.reverse();
    }
    let ends: Vec<String> = [page.items.first(), page.items.last()]
        .into_iter()
        .flatten()
        .map(|item| key.issue(scope, &position(item)))
        .collect();
    let ends: Vec<&str> = ends.iter().map(String::as_str).collect();
    let links = PageLinks::new(&ends, page.has_more, cursor.is_some(), backwards);
    Ok(Ok(CursorPage {
        items: page.items,
        links,
    }))
}

/// The user a form names: its id, or its email in any case ([`orgusers_store::users::find_user`]).
/// `None` when the organization has no such user.
pub(super) async fn find_user(
    state: &AppState,
    org: &OrgId,
    given: &str,
) -> Result<Option<User>, ConsoleError> {
    Ok(orgusers_store::users::find_user(state.store.as_ref(), org, given).await?)
}

/// The sentence of a form naming no user.
pub(super) fn no_such_user(given: &str) -> String {
    format!("The organization has no user with the email or id '{given}'.")
}

/// What a user is called on a page: the name, else the email, else the id.
pub(super) fn user_label(name: Option<&str>, email: Option<&str>, id: &str) -> String {
    name.filter(|n| !n.is_empty())
        .or(email.filter(|e| !e.is_empty()))
        .unwrap_or(id)
        .to_owned()
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix seconds as RFC 3339 in UTC: `2023-11-14T22:13:20Z`.
pub(super) fn rfc3339(at: i64) -> String {
    // `date` gives `YYYY-MM-DD HH:MM UTC`; the seconds are added here.
    let minutes = date(at);
    let (day, rest) = minutes.split_once(' ').unwrap_or((&minutes, ""));
    let hm = rest.trim_end_matches(" UTC");
    format!("{day}T{hm}:{:02}Z", at.rem_euclid(60))
}

/// The value of a `datetime-local` input for Unix seconds, in UTC.
pub(super) fn datetime_local(at: i64) -> String {
    let full = rfc3339(at);
    full.trim_end_matches('Z').to_owned()
}

/// A `<time>` of Unix seconds: readable UTC, with its RFC 3339 `datetime`.
pub(super) fn time_of(at: i64) -> Markup {
    let minutes = date(at);
    let readable = format!(
        "{}:{:02} UTC",
        minutes.trim_end_matches(" UTC"),
        at.rem_euclid(60)
    );
    html! { time datetime=(rfc3339(at)) { (readable) } }
}

/// A time as a form gives it: Unix seconds, `YYYY-MM-DDTHH:MM[:SS]` (a `datetime-local`
/// input, read as UTC), or RFC 3339 with `Z` or an offset (fractions of a second ignored).
/// Also says whether the seconds were given (a `datetime-local` value has none).
pub(super) fn parse_time(text: &str) -> Result<(i64, bool), String> {
    let text = text.trim();
    let refused = || {
        format!(
            "'{text}' is not a time: use YYYY-MM-DDTHH:MM (UTC), RFC 3339 such as \
             2024-05-01T12:00:00Z, or Unix seconds."
        )
    };
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok((seconds, true));
    }
    let (date_part, time_part) = text.split_once(['T', 't', ' ']).ok_or_else(refused)?;
    let mut ymd = date_part.splitn(3, '-');
    let number = |part: Option<&str>, digits: usize| -> Result<i64, String> {
        let part = part.ok_or_else(refused)?;
        if part.len() != digits || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refused());
        }
        part.parse().map_err(|_| refused())
    };
    let (year, month, day) = (
        number(ymd.next(), 4)?,
        number(ymd.next(), 2)?,
        number(ymd.next(), 2)?,
    );
    // The offset: `Z`, `+HH:MM` or `-HH:MM` at the end; none means UTC.
    let (clock, offset) = if let Some(clock) = time_part.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else if let Some(at) = time_part.rfind(['+', '-']) {
        let (clock, zone) = time_part.split_at(at);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (h, m) = zone[1..].split_once(':').ok_or_else(refused)?;
        (
            clock,
            sign * (number(Some(h), 2)? * 3600 + number(Some(m), 2)? * 60),
        )
    } else {
        (time_part, 0)
    };
    let clock = clock.split('.').next().unwrap_or(clock);
    let mut hms = clock.split(':');
    let (hour, minute) = (number(hms.next(), 2)?, number(hms.next(), 2)?);
    let second = hms.next();
    let with_seconds = second.is_some();
    let second = second.map(|s| number(Some(s), 2)).transpose()?.unwrap_or(0);
    if hms.next().is_some()
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(refused());
    }
    let days = days_from_civil(year, month, day);
    Ok((
        days * 86_400 + hour * 3600 + minute * 60 + second - offset,
        with_seconds,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip() {
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(datetime_local(1_700_000_000), "2023-11-14T22:13:20");
        assert_eq!(parse_time("1700000000"), Ok((1_700_000_000, true)));
        assert_eq!(
            parse_time("2023-11-14T22:13:20Z"),
            Ok((1_700_000_000, true))
        );
        assert_eq!(
            parse_time("2023-11-14T22:13"),
            Ok((1_700_000_000 - 20, false))
        );
        assert_eq!(
            parse_time("2023-11-15T00:13:20.5+02:00"),
            Ok((1_700_000_000, true))
        );
        assert_eq!(parse_time("2000-02-29T00:00:00Z"), Ok((951_782_400, true)));
        assert!(parse_time("soon").is_err());
        assert!(parse_time("2023-13-01T00:00").is_err());
        assert!(parse_time("2023-1-01T00:00").is_err());
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(segment("role_abc-1.2"), "role_abc-1.2");
        assert_eq!(segment("a b/c?"), "a%20b%2Fc%3F");
    }
}

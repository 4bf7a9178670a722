//! JSON of users written straight from borrowed fields, without building [`User`] values first.
//!
//! A server answering a page of users from database rows would otherwise allocate every string
//! of every row twice (into a [`User`], then into the body). [`UserFields`] borrows the row, and
//! [`UserListWriter`] appends each user to the body as it is read. The bytes are exactly those
//! `serde_json` writes for the same [`User`] or [`UserList`] (a test pins this), so clients see
//! no difference.

use crate::{LIST_OBJECT, NESTED_USER_OBJECT, NestedUser, USER_OBJECT, User, UserProjects};

/// One user's fields, borrowed from wherever they are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserFields<'a> {
    /// `id` (repeated as `user.id`).
    pub id: &'a str,
    /// `name` (repeated as `user.name`).
    pub name: Option<&'a str>,
    /// `email` (repeated as `user.email`).
    pub email: Option<&'a str>,
    /// `role`.
    pub role: &'a str,
    /// `added_at`.
    pub added_at: i64,
    /// `is_default`.
    pub is_default: bool,
    /// `created`.
    pub created: i64,
    /// `user.picture`.
    pub picture: Option<&'a str>,
    /// `user.enabled`.
    pub enabled: Option<bool>,
    /// `user.banned`.
    pub banned: Option<bool>,
    /// `user.banned_at`.
    pub banned_at: Option<i64>,
    /// `is_service_account`.
    pub is_service_account: bool,
    /// `is_scale_tier_authorized_purchaser`.
    pub is_scale_tier_authorized_purchaser: Option<bool>,
    /// `is_scim_managed`.
    pub is_scim_managed: bool,
    /// `api_key_last_used_at`.
    pub api_key_last_used_at: Option<i64>,
    /// `technical_level`.
    pub technical_level: Option<&'a str>,
    /// `developer_persona`.
    pub developer_persona: Option<&'a str>,
    /// `projects.data`: the JSON array of the user's projects (`{"id","name","role"}` objects,
    /// compact, as serde writes them), as the store builds it; `None` writes an empty list.
    pub projects: Option<&'a str>,
}

impl UserFields<'_> {
    /// The owned wire user, with the nested `user` object the API always includes.
    pub fn to_user(&self) -> User {
        let owned = |s: Option<&str>| s.map(str::to_owned);
        User {
            object: USER_OBJECT.to_owned(),
            id: self.id.to_owned(),
            name: owned(self.name),
            email: owned(self.email),
            role: Some(self.role.to_owned()),
            added_at: self.added_at,
            is_default: self.is_default,
            created: self.created,
            user: Some(NestedUser {
                object: NESTED_USER_OBJECT.to_owned(),
                id: self.id.to_owned(),
                email: owned(self.email),
                name: owned(self.name),
                picture: owned(self.picture),
                enabled: self.enabled,
                banned: self.banned,
                banned_at: self.banned_at,
            }),
            is_service_account: self.is_service_account,
            is_scale_tier_authorized_purchaser: self.is_scale_tier_authorized_purchaser,
            is_scim_managed: self.is_scim_managed,
            api_key_last_used_at: self.api_key_last_used_at,
            technical_level: owned(self.technical_level),
            developer_persona: owned(self.developer_persona),
            projects: Some(UserProjects {
                object: LIST_OBJECT.to_owned(),
                // The store wrote this JSON itself; a broken array cannot come from it.
                data: self
                    .projects
                    .and_then(|data| serde_json::from_str(data).ok())
                    .unwrap_or_default(),
            }),
        }
    }

    /// Appends the user's JSON object to `out`, in [`User`]'s field order.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"object\":\"");
        out.extend_from_slice(USER_OBJECT.as_bytes());
        out.extend_from_slice(b"\",\"id\":");
        write_str(out, self.id);
        out.extend_from_slice(b",\"name\":");
        write_opt_str(out, self.name);
        out.extend_from_slice(b",\"email\":");
        write_opt_str(out, self.email);
        out.extend_from_slice(b",\"role\":");
        write_str(out, self.role);
        out.extend_from_slice(b",\"added_at\":");
        write_i64(out, self.added_at);
        out.extend_from_slice(b",\"is_default\":");
        write_bool(out, self.is_default);
        out.extend_from_slice(b",\"created\":");
        write_i64(out, self.created);
        out.extend_from_slice(b",\"user\":{\"object\":\"");
        out.extend_from_slice(NESTED_USER_OBJECT.as_bytes());
        out.extend_from_slice(b"\",\"id\":");
        write_str(out, self.id);
        out.extend_from_slice(b",\"email\":");
        write_opt_str(out, self.email);
        out.extend_from_slice(b",\"name\":");
        write_opt_str(out, self.name);
        out.extend_from_slice(b",\"picture\":");
        write_opt_str(out, self.picture);
        out.extend_from_slice(b",\"enabled\":");
        write_opt_bool(out, self.enabled);
        out.extend_from_slice(b",\"banned\":");
        write_opt_bool(out, self.banned);
        out.extend_from_slice(b",\"banned_at\":");
        write_opt_i64(out, self.banned_at);
        out.extend_from_slice(b"},\"is_service_account\":");
        write_bool(out, self.is_service_account);
        out.extend_from_slice(b",\"is_scale_tier_authorized_purchaser\":");
        write_opt_bool(out, self.is_scale_tier_authorized_purchaser);
        out.extend_from_slice(b",\"is_scim_managed\":");
        write_bool(out, self.is_scim_managed);
        out.extend_from_slice(b",\"api_key_last_used_at\":");
        write_opt_i64(out, self.api_key_last_used_at);
        out.extend_from_slice(b",\"technical_level\":");
        write_opt_str(out, self.technical_level);
        out.extend_from_slice(b",\"developer_persona\":");
        write_opt_str(out, self.developer_persona);
        out.extend_from_slice(b",\"projects\":{\"object\":\"list\",\"data\":");
        out.extend_from_slice(self.projects.unwrap_or("[]").as_bytes());
        out.extend_from_slice(b"}}");
    }
}

/// Writes a [`UserList`](crate::UserList) page into a buffer one user at a time.
///
/// ```
/// # use orgusers_api::render::{UserFields, UserListWriter};
/// let mut page = UserListWriter::new(Vec::new());
/// page.push(&UserFields { id: "user-1", role: "owner", ..UserFields::default() });
/// let body = page.finish(false);
/// let list: orgusers_api::UserList = serde_json::from_slice(&body).unwrap();
/// assert_eq!(list.last_id.as_deref(), Some("user-1"));
/// ```
#[derive(Debug)]
pub struct UserListWriter {
    out: Vec<u8>,
    first_id: Option<String>,
    last_id_at: Option<(usize, usize)>,
}

impl UserListWriter {
    /// Starts a page in `out` (cleared first; its capacity is reused).
    pub fn new(mut out: Vec<u8>) -> Self {
        out.clear();
        out.extend_from_slice(b"{\"object\":\"");
        out.extend_from_slice(LIST_OBJECT.as_bytes());
        out.extend_from_slice(b"\",\"data\":[");
        Self {
            out,
            first_id: None,
            last_id_at: None,
        }
    }

    /// Whether no user was pushed yet.
    pub fn is_empty(&self) -> bool {
        self.first_id.is_none()
    }

    /// Appends one user.
    pub fn push(&mut self, user: &UserFields<'_>) {
        if self.first_id.is_none() {
            self.first_id = Some(user.id.to_owned());
        } else {
            self.out.push(b',');
        }
        let start = self.out.len();
        user.write_json(&mut self.out);
        // The id is the first string value of the object: remember where its JSON is, so
        // `last_id` is copied from the buffer instead of allocated for every user.
        let id_start = start + br#"{"object":"organization.user","id":"#.len();
        let id_len = json_str_len(user.id);
        self.last_id_at = Some((id_start, id_start + id_len));
    }

    /// Closes the page and returns its JSON.
    pub fn finish(mut self, has_more: bool) -> Vec<u8> {
        self.out.extend_from_slice(b"],\"first_id\":");
        match &self.first_id {
            Some(id) => write_str(&mut self.out, id),
            None => self.out.extend_from_slice(b"null"),
        }
        self.out.extend_from_slice(b",\"last_id\":");
        match self.last_id_at {
            Some((start, end)) => self.out.extend_from_within(start..end),
            None => self.out.extend_from_slice(b"null"),
        }
        self.out.extend_from_slice(b",\"has_more\":");
        write_bool(&mut self.out, has_more);
        self.out.push(b'}');
        self.out
    }
}

impl Default for UserFields<'_> {
    /// A reader with no optional field set; for tests and examples.
    fn default() -> Self {
        Self {
            id: "",
            name: None,
            email: None,
            role: "reader",
            added_at: 0,
            is_default: false,
            created: 0,
            picture: None,
            enabled: None,
            banned: None,
            banned_at: None,
            is_service_account: false,
            is_scale_tier_authorized_purchaser: None,
            is_scim_managed: false,
            api_key_last_used_at: None,
            technical_level: None,
            developer_persona: None,
            projects: None,
        }
    }
}

/// Whether `b` can stand in a JSON string as itself.
fn is_plain(b: u8) -> bool {
    b >= 0x20 && b != b'"' && b != b'\\'
}

/// The length of `s` written as a JSON string, quotes included.
fn json_str_len(s: &str) -> usize {
    if s.bytes().all(is_plain) {
        s.len() + 2
    } else {
        let mut buf = Vec::new();
        write_str(&mut buf, s);
        buf.len()
    }
}

/// Writes `s` as a JSON string. Strings that need no escape (nearly all) are copied whole;
/// the rest go through `serde_json`, so the escapes are always its own.
fn write_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(is_plain) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else if serde_json::to_writer(&mut *out, s).is_err() {
        // Writing a string into a Vec cannot fail; keep the output valid JSON regardless.
        out.extend_from_slice(b"null");
    }
}

fn write_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => write_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

fn write_i64(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

fn write_opt_i64(out: &mut Vec<u8>, n: Option<i64>) {
    match n {
        Some(n) => write_i64(out, n),
        None => out.extend_from_slice(b"null"),
    }
}

fn write_bool(out: &mut Vec<u8>, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

fn write_opt_bool(out: &mut Vec<u8>, b: Option<bool>) {
    match b {
        Some(b) => write_bool(out, b),
        None => out.extend_from_slice(b"null"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UserList;

    fn sample(id: &'static str) -> UserFields<'static> {
        UserFields {
            id,
            name: Some("Zoë \"Z\" Ødegaard\\\n\u{1}\u{7f}"),
            email: Some("zoë.ødegaard@exämple.de"),
            role: "owner",
            added_at: 1_700_000_000,
            is_default: true,
            created: -5,
            picture: Some("https://example.com/p.png?a=1&b=</script>"),
            enabled: Some(true),
            banned: Some(false),
            banned_at: Some(i64::MAX),
            is_service_account: true,
            is_scale_tier_authorized_purchaser: Some(false),
            is_scim_managed: true,
            api_key_last_used_at: Some(i64::MIN),
            technical_level: Some("expert\t"),
            developer_persona: Some(""),
            projects: Some(
                r#"[{"id":"proj_1","name":"Zoë \"P\"\n\u0001","role":"owner"},{"id":"proj_2","name":null,"role":"member"}]"#,
            ),
        }
    }

    #[test]
    fn a_user_is_written_as_serde_writes_it() {
        for user in [sample("user-a"), UserFields::default()] {
            let mut ours = Vec::new();
            user.write_json(&mut ours);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(&user.to_user()).unwrap()
            );
        }
    }

    #[test]
    fn a_page_is_written_as_serde_writes_it() {
        let pages: [&[UserFields<'_>]; 3] = [
            &[],
            &[sample("user-1")],
            &[
                sample("user-1"),
                UserFields::default(),
                sample("user-\"quoted\""),
            ],
        ];
        for users in pages {
            for has_more in [false, true] {
                let mut writer = UserListWriter::new(b"left over".to_vec());
                assert!(writer.is_empty());
                for user in users {
                    writer.push(user);
                }
                let ours = String::from_utf8(writer.finish(has_more)).unwrap();
                let list = UserList::new(users.iter().map(UserFields::to_user).collect(), has_more);
                assert_eq!(ours, serde_json::to_string(&list).unwrap());
            }
        }
    }
}

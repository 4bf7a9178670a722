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

/// The envelope of a first/last page (`{"object":"list","data":[…],"first_id":…,"last_id":…,
/// "has_more":…}`), its items appended as JSON objects whose first field is their `id`.
#[derive(Debug)]
struct PageWriter {
    out: Vec<u8>,
    first_id: Option<String>,
    last_id_at: Option<(usize, usize)>,
}

impl PageWriter {
    fn new(mut out: Vec<u8>) -> Self {
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

    /// Appends one item written by `write`; its id's JSON starts `id_offset` bytes into it.
    fn push(&mut self, id: &str, id_offset: usize, write: impl FnOnce(&mut Vec<u8>)) {
        if self.first_id.is_none() {
            self.first_id = Some(id.to_owned());
        } else {
            self.out.push(b',');
        }
        let id_start = self.out.len() + id_offset;
        write(&mut self.out);
        // `last_id` is copied from the buffer instead of allocated for every item.
        self.last_id_at = Some((id_start, id_start + json_str_len(id)));
    }

    fn finish(mut self, has_more: bool) -> Vec<u8> {
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
pub struct UserListWriter(PageWriter);

impl UserListWriter {
    /// Starts a page in `out` (cleared first; its capacity is reused).
    pub fn new(out: Vec<u8>) -> Self {
        Self(PageWriter::new(out))
    }

    /// Whether no user was pushed yet.
    pub fn is_empty(&self) -> bool {
        self.0.first_id.is_none()
    }

    /// Appends one user.
    pub fn push(&mut self, user: &UserFields<'_>) {
        // The id is the first string value of the object.
        let id_offset = br#"{"object":"organization.user","id":"#.len();
        self.0.push(user.id, id_offset, |out| user.write_json(out));
    }

    /// Closes the page and returns its JSON.
    pub fn finish(self, has_more: bool) -> Vec<u8> {
        self.0.finish(has_more)
    }
}

/// One audit log entry's fields, borrowed from a stored row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditLogFields<'a> {
    /// `audit_log-…`.
    pub id: &'a str,
    /// The event type, which also names the payload's field.
    pub event_type: &'a str,
    /// Unix seconds.
    pub effective_at: i64,
    /// The project the entry is scoped to: id and name.
    pub project: Option<(&'a str, Option<&'a str>)>,
    /// The acting admin key's id.
    pub actor_key_id: Option<&'a str>,
    /// The acting key's owner: id and email.
    pub actor_user: Option<(&'a str, Option<&'a str>)>,
    /// The payload as JSON text, written by the store itself (copied as it is).
    pub payload: &'a str,
}

impl AuditLogFields<'_> {
    /// Appends the entry's JSON object to `out`, as `serde_json` writes
    /// [`AuditLog`](crate::audit_logs::AuditLog) for the same entry.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"id\":");
        write_str(out, self.id);
        out.extend_from_slice(b",\"type\":");
        write_str(out, self.event_type);
        out.extend_from_slice(b",\"effective_at\":");
        write_i64(out, self.effective_at);
        if let Some((id, name)) = self.project {
            out.extend_from_slice(b",\"project\":{\"id\":");
            write_str(out, id);
            if let Some(name) = name {
                out.extend_from_slice(b",\"name\":");
                write_str(out, name);
            }
            out.push(b'}');
        }
        if let Some(key_id) = self.actor_key_id {
            out.extend_from_slice(b",\"actor\":{\"type\":\"api_key\",\"api_key\":{\"id\":");
            write_str(out, key_id);
            out.extend_from_slice(b",\"type\":\"user\"");
            if let Some((user_id, email)) = self.actor_user {
                out.extend_from_slice(b",\"user\":{\"id\":");
                write_str(out, user_id);
                if let Some(email) = email {
                    out.extend_from_slice(b",\"email\":");
                    write_str(out, email);
                }
                out.push(b'}');
            }
            out.extend_from_slice(b"}}");
        }
        out.push(b',');
        write_str(out, self.event_type);
        out.push(b':');
        out.extend_from_slice(self.payload.as_bytes());
        out.push(b'}');
    }
}

/// Writes a page of the audit log (`ListAuditLogsResponse`) one entry at a time.
#[derive(Debug)]
pub struct AuditLogListWriter(PageWriter);

impl AuditLogListWriter {
    /// Starts a page in `out` (cleared first).
    pub fn new(out: Vec<u8>) -> Self {
        Self(PageWriter::new(out))
    }

    /// Appends one entry.
    pub fn push(&mut self, entry: &AuditLogFields<'_>) {
        self.0
            .push(entry.id, br#"{"id":"#.len(), |out| entry.write_json(out));
    }

    /// Closes the page and returns its JSON.
    pub fn finish(self, has_more: bool) -> Vec<u8> {
        self.0.finish(has_more)
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

/// Whether every byte of `bytes` is [`is_plain`], eight at a time: a page writes hundreds of
/// short strings (ids, types, emails), nearly all plain, and a byte at a time was a tenth of
/// writing it.
fn is_plain_text(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES * 0x80;
    // Whether a byte of `word` is below `n` (at most 0x80): subtracting `n` from it borrows
    // into a high bit that it did not have.
    let below = |word: u64, n: u8| word.wrapping_sub(ONES * u64::from(n)) & !word & HIGH != 0;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_ne_bytes(word);
        if below(word, 0x20)
            || below(word ^ (ONES * u64::from(b'"')), 1)
            || below(word ^ (ONES * u64::from(b'\\')), 1)
        {
            return false;
        }
    }
    chunks.remainder().iter().all(|&b| is_plain(b))
}

/// The length of `s` written as a JSON string, quotes included.
fn json_str_len(s: &str) -> usize {
    if is_plain_text(s.as_bytes()) {
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
    if is_plain_text(s.as_bytes()) {
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

    /// Every byte value, at every place of a string longer than two words, is found plain or
    /// not as [`is_plain`] says, alone and beside another byte that needs an escape.
    #[test]
    fn plain_text_word_by_word_agrees_with_byte_by_byte() {
        for len in [1, 7, 8, 9, 17] {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = b;
                    assert_eq!(
                        is_plain_text(&bytes),
                        is_plain(b),
                        "{b:#x} at {at} of {len}"
                    );
                    if len > 1 {
                        bytes[(at + 1) % len] = b'"';
                        assert!(!is_plain_text(&bytes), "{b:#x} beside a quote");
                    }
                }
            }
        }
        assert!(is_plain_text("Zoë, ünïcode: 日本".as_bytes()));
    }

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

    fn audit_entry(fields: &AuditLogFields<'_>) -> crate::audit_logs::AuditLog {
        use crate::audit_logs::{
            AuditLog, AuditLogActor, AuditLogActorApiKey, AuditLogActorUser, AuditLogProject,
        };
        let mut details = serde_json::Map::new();
        details.insert(
            fields.event_type.to_owned(),
            serde_json::from_str(fields.payload).unwrap(),
        );
        AuditLog {
            id: fields.id.to_owned(),
            event_type: fields.event_type.to_owned(),
            effective_at: fields.effective_at,
            project: fields.project.map(|(id, name)| AuditLogProject {
                id: id.to_owned(),
                name: name.map(str::to_owned),
            }),
            actor: fields.actor_key_id.map(|id| AuditLogActor {
                actor_type: "api_key".to_owned(),
                api_key: Some(AuditLogActorApiKey {
                    id: Some(id.to_owned()),
                    key_type: "user".to_owned(),
                    user: fields.actor_user.map(|(id, email)| AuditLogActorUser {
                        id: Some(id.to_owned()),
                        email: email.map(str::to_owned),
                    }),
                }),
            }),
            details,
        }
    }

    #[test]
    fn audit_log_pages_are_written_as_serde_writes_them() {
        let entries = [
            AuditLogFields {
                id: "audit_log-a",
                event_type: "project.created",
                effective_at: 1_700_000_000,
                project: Some(("proj_\"x\"", Some("Zoë \"P\"\n\u{1}"))),
                actor_key_id: Some("key_a"),
                actor_user: Some(("user-a", Some("a@example.com"))),
                payload: r#"{"id":"proj_x","data":{"name":"Zoë \"P\"","title":"Zoë"}}"#,
            },
            AuditLogFields {
                id: "audit_log-\"b\"",
                event_type: "user.deleted",
                effective_at: -1,
                project: Some(("proj_y", None)),
                actor_key_id: None,
                actor_user: None,
                payload: r#"{"id":"user-b"}"#,
            },
            AuditLogFields {
                id: "audit_log-c",
                event_type: "group.updated",
                effective_at: 0,
                project: None,
                actor_key_id: Some("key_b"),
                actor_user: Some(("user-c", None)),
                payload: r#"{"id":"group_c","changes_requested":{}}"#,
            },
        ];
        for n in 0..=entries.len() {
            for has_more in [false, true] {
                let mut writer = AuditLogListWriter::new(b"left over".to_vec());
                for entry in &entries[..n] {
                    writer.push(entry);
                }
                let ours = String::from_utf8(writer.finish(has_more)).unwrap();
                let list = crate::audit_logs::AuditLogList::new(
                    entries[..n].iter().map(audit_entry).collect(),
                    has_more,
                    |entry| &entry.id,
                );
                assert_eq!(ours, serde_json::to_string(&list).unwrap());
            }
        }
    }
}

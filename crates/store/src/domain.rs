//! Newtypes for the values that have rules. Each is parsed once, at the edge; past that point the
//! rest of the code cannot hold an invalid one.

use std::fmt;

use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Characters allowed in ids that come from outside (imported user ids, `--org`).
fn is_external_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

pub(crate) fn random_alphanumeric(len: usize) -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Why a value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

/// Parses an id given from outside: 1 to 128 characters of `[A-Za-z0-9_.-]`.
pub(crate) fn parse_external_id(kind: &str, s: &str) -> Result<String, InvalidValue> {
    if s.is_empty() || s.len() > 128 || !s.chars().all(is_external_id_char) {
        return Err(InvalidValue(format!(
            "{kind} must be 1 to 128 characters of A-Z, a-z, 0-9, '_', '.' or '-', got {s:?}"
        )));
    }
    Ok(s.to_owned())
}

/// The id of an organization (`org-` + 24 alphanumerics when generated).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgId(String);

impl OrgId {
    /// A fresh random id.
    pub fn generate() -> Self {
        Self(format!("org-{}", random_alphanumeric(24)))
    }

    /// Parses an operator-given id (`--org`).
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        parse_external_id("an organization id", s).map(Self)
    }

    /// Wraps an id read back from the store, which was valid when written.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The id of a user (`user-` + 24 alphanumerics when generated).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(String);

impl UserId {
    /// A fresh random id.
    pub fn generate() -> Self {
        Self(format!("user-{}", random_alphanumeric(24)))
    }

    /// A deterministic id drawn from a caller's random source (for `seed`).
    pub fn generate_with(rng: &mut impl FnMut() -> char) -> Self {
        Self(format!(
            "user-{}",
            (0..24).map(|_| rng()).collect::<String>()
        ))
    }

    /// Parses an imported id.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        parse_external_id("a user id", s).map(Self)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// An organization role of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// May administer the organization.
    Owner,
    /// May read it.
    Reader,
}

impl Role {
    /// Parses `owner` or `reader`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Self::Owner),
            "reader" => Some(Self::Reader),
            _ => None,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Reader => "reader",
        }
    }

    /// The id of the predefined organization role for this role in `org`.
    pub fn role_id(self, org: &OrgId) -> String {
        format!(
            "role-api-organization-{}__api-organization__{}",
            self.as_str(),
            org.as_str()
        )
    }

    /// The role a predefined role id names in `org`, if it names one.
    pub fn from_role_id(role_id: &str, org: &OrgId) -> Option<Self> {
        [Self::Owner, Self::Reader]
            .into_iter()
            .find(|role| role.role_id(org) == role_id)
    }
}

/// An email address as given, with its case-folded form used for uniqueness and matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress {
    given: String,
    folded: String,
}

impl EmailAddress {
    /// Parses an address: one `@` between a non-empty local part and domain, no white space or
    /// control characters, at most 320 bytes.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let well_formed = s.len() <= 320
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            && matches!(s.rsplit_once('@'), Some((local, domain)) if !local.is_empty() && !domain.is_empty());
        if !well_formed {
            return Err(InvalidValue(format!("{s:?} is not an email address")));
        }
        Ok(Self {
            given: s.to_owned(),
            folded: fold_email(s),
        })
    }

    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.given
    }

    /// The case-folded address.
    pub fn folded(&self) -> &str {
        &self.folded
    }
}

/// Unicode lowercase: the one comparison used for emails everywhere.
pub fn fold_email(s: &str) -> String {
    // The same result for ASCII, the common case, at a fraction of the cost of the Unicode
    // tables (a few percent of a bulk import).
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.to_lowercase()
    }
}

/// The set of addresses a list request filters on, folded and without duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmailFilter(Vec<String>);

impl EmailFilter {
    /// The most distinct addresses one request may name.
    pub const MAX: usize = 1000;

    /// Folds and de-duplicates `values` (an empty value matches nothing and is dropped). Returns the
    /// distinct count as the error when there are more than [`Self::MAX`].
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<Self, usize> {
        let mut folded: Vec<String> = values
            .into_iter()
            .filter(|v| !v.is_empty())
            .map(fold_email)
            .collect();
        folded.sort_unstable();
        folded.dedup();
        if folded.len() > Self::MAX {
            return Err(folded.len());
        }
        Ok(Self(folded))
    }

    /// The folded addresses, sorted.
    pub fn addresses(&self) -> &[String] {
        &self.0
    }
}

/// A page size: 1 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(u8);

/// Why a `limit` was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitError {
    /// Not an optional `-` followed by decimal digits.
    NotAnInteger,
    /// Below the list's minimum.
    BelowMin,
    /// Above the list's maximum (including numbers too large for 64 bits).
    AboveMax,
}

impl PageLimit {
    /// The smallest page.
    pub const MIN: i64 = 1;
    /// The largest page.
    pub const MAX: i64 = 100;
    /// The page size when none is given.
    pub const DEFAULT: Self = Self(20);

    /// Parses a query value: an optional `-` followed by decimal digits, within 1..=100.
    pub fn parse(s: &str) -> Result<Self, LimitError> {
        let value = parse_limit(s, Self::MIN, Self::MAX)?;
        Ok(Self(u8::try_from(value).unwrap_or(u8::MAX)))
    }

    /// The page size.
    pub fn get(self) -> usize {
        usize::from(self.0)
    }
}

/// Parses a `limit` of any list: an optional `-` followed by decimal digits, within
/// `min..=max` (a number too large for 64 bits is above the maximum, or below the minimum when
/// negative).
pub fn parse_limit(s: &str, min: i64, max: i64) -> Result<usize, LimitError> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(LimitError::NotAnInteger);
    }
    let value = match s.parse::<i64>() {
        Ok(v) => v,
        Err(_) if negative => return Err(LimitError::BelowMin),
        Err(_) => return Err(LimitError::AboveMax),
    };
    if value < min {
        Err(LimitError::BelowMin)
    } else if value > max {
        Err(LimitError::AboveMax)
    } else {
        usize::try_from(value).map_err(|_| LimitError::BelowMin)
    }
}

/// An admin API key in plain text. Never printed: `Debug` shows it masked.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminKey(String);

impl AdminKey {
    /// A fresh random key: `sk-admin-` + 48 alphanumerics.
    pub fn generate() -> Self {
        Self(format!("sk-admin-{}", random_alphanumeric(48)))
    }

    /// Parses an operator-given key: 8 to 256 printable ASCII characters, spaces included (the
    /// official SDKs' examples use `My Admin API Key`), but not at either end, where an
    /// `Authorization` header cannot carry them.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let printable = s.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
        if s.len() < 8 || s.len() > 256 || !printable {
            return Err(InvalidValue(
                "an admin key must be 8 to 256 printable ASCII characters".into(),
            ));
        }
        if s.starts_with(' ') || s.ends_with(' ') {
            return Err(InvalidValue(
                "an admin key cannot begin or end with a space: HTTP drops it from the header"
                    .into(),
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// Wraps a token presented by a client, whatever its form, so it can be hashed and masked.
    pub fn presented(s: &str) -> Self {
        Self(s.to_owned())
    }

    /// The key itself, to show once when it is created.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The hash under which the key is stored.
    pub fn hash(&self) -> KeyHash {
        KeyHash(Sha256::digest(self.0.as_bytes()).into())
    }

    /// The last four characters, for listings.
    pub fn last4(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        chars[chars.len().saturating_sub(4)..].iter().collect()
    }

    /// The form listings show (`redacted_value`): `sk-admin-...` and the last four characters
    /// for a key of the generated form, which is CONTRACT.md's rule (the prefix up to its last
    /// `-`); an operator-given key shows only `...` and its last four, since the text up to its
    /// last `-` may be most of the secret.
    pub fn redacted(&self) -> String {
        const PREFIX: &str = "sk-admin-";
        let prefix = if self.0.starts_with(PREFIX) {
            PREFIX
        } else {
            ""
        };
        format!("{prefix}...{}", self.last4())
    }

    /// The key as error messages show it: the first 6 and last 4 characters, one `*` for each one
    /// between; all `*` for a key under 11 characters.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        let n = chars.len();
        if n < 11 {
            return "*".repeat(n);
        }
        let head: String = chars[..6].iter().collect();
        let tail: String = chars[n - 4..].iter().collect();
        format!("{head}{}{tail}", "*".repeat(n - 10))
    }
}

impl fmt::Debug for AdminKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AdminKey({})", self.masked())
    }
}

/// The SHA-256 of an admin key. Keys are long random strings, so a fast unsalted hash is what
/// protects them at rest; lookups go by hash and the final comparison is constant-time.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyHash(pub [u8; 32]);

impl KeyHash {
    /// Compares in time independent of where the hashes differ.
    pub fn matches(&self, other: &[u8]) -> bool {
        other.len() == 32 && bool::from(self.0.as_slice().ct_eq(other))
    }
}

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyHash(..)")
    }
}

/// A fresh admin key id: `key_` + 24 alphanumerics.
pub fn generate_key_id() -> String {
    format!("key_{}", random_alphanumeric(24))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_parsing_follows_the_contract() {
        assert_eq!(PageLimit::parse("1").map(PageLimit::get), Ok(1));
        assert_eq!(PageLimit::parse("100").map(PageLimit::get), Ok(100));
        assert_eq!(PageLimit::parse("007").map(PageLimit::get), Ok(7));
        assert_eq!(PageLimit::parse("0"), Err(LimitError::BelowMin));
        assert_eq!(PageLimit::parse("-5"), Err(LimitError::BelowMin));
        assert_eq!(PageLimit::parse("101"), Err(LimitError::AboveMax));
        assert_eq!(
            PageLimit::parse("99999999999999999999999"),
            Err(LimitError::AboveMax)
        );
        assert_eq!(
            PageLimit::parse("-99999999999999999999999"),
            Err(LimitError::BelowMin)
        );
        for bad in ["", "abc", "5.0", "+5", "-", " 5", "5 ", "0x10", "١"] {
            assert_eq!(
                PageLimit::parse(bad),
                Err(LimitError::NotAnInteger),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn operator_keys_are_printable_ascii_with_inner_spaces() {
        for ok in [
            "My Admin API Key",
            "sk-admin-12345678",
            "12345678",
            &"k".repeat(256),
        ] {
            assert!(AdminKey::parse(ok).is_ok(), "{ok:?}");
        }
        for bad in [
            "1234567",
            &"k".repeat(257),
            " leading key",
            "trailing key ",
            "tab\tkey1",
            "clé-admin-key",
        ] {
            assert!(AdminKey::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn masking_shows_head_and_tail() {
        let key = AdminKey::presented("sk-admin-abcdefWXYZ");
        assert_eq!(key.masked(), "sk-adm*********WXYZ");
        assert_eq!(AdminKey::presented("0123456789").masked(), "**********");
        assert_eq!(AdminKey::presented("0123456789a").masked(), "012345*789a");
        assert!(!format!("{key:?}").contains("abcdef"));
    }

    #[test]
    fn generated_ids_have_the_contract_shape() {
        let user = UserId::generate();
        assert!(user.as_str().starts_with("user-"));
        assert_eq!(user.as_str().len(), 5 + 24);
        let org = OrgId::generate();
        assert_eq!(org.as_str().len(), 4 + 24);
        let key = AdminKey::generate();
        assert_eq!(key.expose().len(), 9 + 48);
        assert!(key.expose()[9..].chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn external_ids_are_checked() {
        assert!(UserId::parse("user_abc-1.2").is_ok());
        assert!(UserId::parse("").is_err());
        assert!(UserId::parse("has space").is_err());
        assert!(UserId::parse(&"a".repeat(129)).is_err());
        assert!(OrgId::parse("org/slash").is_err());
    }

    #[test]
    fn folding_is_unicode_lowercase() {
        for s in [
            "Ada@Example.COM",
            "already@lower.io",
            "MIX.ed+Tag@X.io",
            "ÉLISE@Exemple.fr",
            "Straße@X.DE",
            "ΣΟΦΙΑ@x.gr",
            "İ@x.io",
        ] {
            assert_eq!(fold_email(s), s.to_lowercase(), "{s}");
        }
        // Every ASCII byte folds as the Unicode rules fold it.
        let ascii: String = (0u8..128).map(char::from).collect();
        assert_eq!(fold_email(&ascii), ascii.to_lowercase());
    }

    #[test]
    fn email_filter_folds_and_dedups() {
        let f = EmailFilter::new(["A@x.io", "a@X.io", "", "ÉLODIE@x.fr"]).unwrap();
        assert_eq!(f.addresses(), ["a@x.io", "élodie@x.fr"]);
        let many: Vec<String> = (0..1001).map(|i| format!("u{i}@x.io")).collect();
        assert_eq!(EmailFilter::new(many.iter().map(String::as_str)), Err(1001));
        let dup: Vec<String> = (0..1500).map(|i| format!("u{}@x.io", i % 1000)).collect();
        assert!(EmailFilter::new(dup.iter().map(String::as_str)).is_ok());
    }

    #[test]
    fn emails_are_checked() {
        assert!(EmailAddress::parse("zoë@exämple.de").is_ok());
        for bad in ["", "no-at", "@x.io", "a@", "a b@x.io"] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn role_ids_name_roles_of_their_organization() {
        let org = OrgId::parse("org-1").unwrap();
        let id = Role::Owner.role_id(&org);
        assert_eq!(id, "role-api-organization-owner__api-organization__org-1");
        assert_eq!(Role::from_role_id(&id, &org), Some(Role::Owner));
        let other = OrgId::parse("org-2").unwrap();
        assert_eq!(Role::from_role_id(&id, &other), None);
    }

    #[test]
    fn key_hash_compares() {
        let key = AdminKey::generate();
        let h = key.hash();
        assert!(h.matches(&h.0));
        assert!(!h.matches(&AdminKey::generate().hash().0));
        assert!(!h.matches(&h.0[..31]));
    }
}

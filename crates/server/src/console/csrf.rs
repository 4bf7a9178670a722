//! The CSRF token of a session: made at sign-in, kept in the session's row, carried by every
//! state-changing form as the hidden field `csrf` and compared in constant time. Sign-in itself,
//! which has no session yet, is covered by `SameSite=Strict` and the `Origin` check of
//! `headers.rs`, which applies to every console `POST`.

use maud::{Markup, html};
use subtle::ConstantTimeEq;

use super::SignedIn;

/// The form field that carries the token.
pub(crate) const FIELD: &str = "csrf";

/// The hidden field of the session's token, for every form that changes something.
pub(crate) fn field(session: &SignedIn) -> Markup {
    html! { input type="hidden" name=(FIELD) value=(session.csrf); }
}

/// Whether `presented` is the session's token `expected`, in time independent of where they
/// differ. An empty token is never valid.
pub(crate) fn matches(expected: &str, presented: Option<&str>) -> bool {
    match presented {
        Some(presented) if !expected.is_empty() => {
            bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_exactly() {
        assert!(matches("abc", Some("abc")));
        assert!(!matches("abc", Some("abd")));
        assert!(!matches("abc", Some("ab")));
        assert!(!matches("abc", None));
        assert!(!matches("", Some("")));
    }
}

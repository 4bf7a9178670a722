//! `GET` and `POST /_orgusers/clock`: the calling organization's clock.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use orgusers_api::control::Clock;
use orgusers_store::body::{BodyError, BodyObject};
use orgusers_store::clock::{ClockSetting, OrgClock};
use orgusers_store::now;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Authenticated, LimitedBody};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/_orgusers/clock", get(read).post(set))
}

fn answer(clock: &OrgClock) -> Json<Clock> {
    Json(Clock::new(clock.reading(now()), clock.is_frozen()))
}

async fn read(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
) -> Result<Json<Clock>, ApiError> {
    Ok(answer(&state.store.clock(&org).await?))
}

/// The body's one setting: `{"now": T}` freezes at T, `{"now": null}` returns to real time,
/// `{"advance_seconds": S}` moves the clock ahead.
fn setting(body: &BodyObject) -> Result<ClockSetting, BodyError> {
    body.only(&["now", "advance_seconds"])?;
    let moment = body.nullable_i64("now")?;
    let advance = body.present_i64("advance_seconds")?;
    match (moment, advance) {
        (Some(_), Some(_)) => Err(BodyError::Invalid {
            field: "advance_seconds".to_owned(),
            message: "Give either 'now' or 'advance_seconds', not both.".to_owned(),
        }),
        (Some(Some(at)), None) => Ok(ClockSetting::FreezeAt(at)),
        (Some(None), None) => Ok(ClockSetting::Real),
        (None, Some(seconds)) => Ok(ClockSetting::Advance(seconds)),
        (None, None) => Err(BodyError::Missing("now".to_owned())),
    }
}

async fn set(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    LimitedBody(body): LimitedBody,
) -> Result<Json<Clock>, ApiError> {
    let setting = setting(&BodyObject::parse(&body)?)?;
    Ok(answer(&state.store.set_clock(&org, setting).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ClockSetting, BodyError> {
        setting(&BodyObject::parse(text.as_bytes()).unwrap())
    }

    #[test]
    fn one_setting_per_body() {
        assert_eq!(parse(r#"{"now": 5}"#).unwrap(), ClockSetting::FreezeAt(5));
        assert_eq!(parse(r#"{"now": null}"#).unwrap(), ClockSetting::Real);
        assert_eq!(
            parse(r#"{"advance_seconds": 60}"#).unwrap(),
            ClockSetting::Advance(60)
        );
        assert!(matches!(parse("{}"), Err(BodyError::Missing(f)) if f == "now"));
        assert!(matches!(
            parse(r#"{"now": 1, "advance_seconds": 1}"#),
            Err(BodyError::Invalid { .. })
        ));
        assert!(matches!(
            parse(r#"{"now": "soon"}"#),
            Err(BodyError::WrongType { .. })
        ));
        assert!(matches!(
            parse(r#"{"later": 1}"#),
            Err(BodyError::Unrecognized(_))
        ));
    }
}

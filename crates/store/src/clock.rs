//! Each organization's clock: real time, real time moved ahead, or frozen at a chosen moment
//! (the control endpoints set it), kept in the organization's row so that it survives restarts.
//! Every timestamp of an organization's change is read from it, inside the change's
//! transaction.
//!
//! Ordering by creation must never go backwards, so a reading is never earlier than the clock's
//! `floor`: when a setting would move the clock back (returning to real time after an advance),
//! the floor keeps it at the latest moment already read until real time passes it; setting a
//! frozen moment earlier than that is refused.

use crate::StoreError;

/// The most a clock may be advanced in one call, and how far from real time it may be set:
/// about 100 years, so that no timestamp overflows what clients parse.
pub const MAX_SHIFT_SECONDS: i64 = 100 * 366 * 24 * 3600;

/// An organization's clock, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrgClock {
    /// The moment the clock stands at, when frozen.
    pub frozen_at: Option<i64>,
    /// Seconds added to real time, when running.
    pub offset: i64,
    /// No reading is earlier than this (see the module's documentation).
    pub floor: i64,
}

/// A change of a clock, as `POST /_orgusers/clock` asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockSetting {
    /// Freeze the clock at this moment (Unix seconds).
    FreezeAt(i64),
    /// Return to real time.
    Real,
    /// Move the clock this many seconds ahead (frozen or running).
    Advance(i64),
}

impl OrgClock {
    /// The clock's time when real time is `real`.
    pub fn reading(&self, real: i64) -> i64 {
        self.frozen_at
            .unwrap_or_else(|| real.saturating_add(self.offset))
            .max(self.floor)
    }

    /// Whether the clock is frozen.
    pub fn is_frozen(&self) -> bool {
        self.frozen_at.is_some()
    }

    /// The clock after `setting`, applied when real time is `real`: moving back only raises the
    /// floor to the moment already reached; freezing before it is refused.
    pub fn apply(&self, setting: ClockSetting, real: i64) -> Result<Self, StoreError> {
        let reached = self.reading(real);
        let next = match setting {
            ClockSetting::FreezeAt(at) => {
                if at < reached {
                    return Err(StoreError::conflict(
                        Some("now"),
                        format!(
                            "The organization's clock cannot go back: it already stands at {reached} \
                             (Unix seconds) and objects may have been created then."
                        ),
                    ));
                }
                if (at - real).abs() > MAX_SHIFT_SECONDS {
                    return Err(StoreError::conflict(
                        Some("now"),
                        "The organization's clock can be set at most 100 years from real time.",
                    ));
                }
                Self {
                    frozen_at: Some(at),
                    offset: 0,
                    floor: self.floor,
                }
            }
            ClockSetting::Real => Self {
                frozen_at: None,
                offset: 0,
                floor: self.floor,
            },
            ClockSetting::Advance(seconds) => {
                if seconds < 0 {
                    return Err(StoreError::conflict(
                        Some("advance_seconds"),
                        "The organization's clock cannot go back: advance_seconds must be 0 or more.",
                    ));
                }
                let moved = match self.frozen_at {
                    Some(at) => Self {
                        frozen_at: Some(at.saturating_add(seconds)),
                        ..*self
                    },
                    None => Self {
                        offset: self.offset.saturating_add(seconds),
                        ..*self
                    },
                };
                if (moved.reading(real) - real).abs() > MAX_SHIFT_SECONDS {
                    return Err(StoreError::conflict(
                        Some("advance_seconds"),
                        "The organization's clock can be set at most 100 years from real time.",
                    ));
                }
                moved
            }
        };
        // Whatever the setting, the clock never reads earlier than it already has.
        Ok(Self {
            floor: next.floor.max(reached),
            ..next
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: i64 = 1_800_000_000;

    #[test]
    fn real_time_by_default() {
        let clock = OrgClock::default();
        assert_eq!(clock.reading(REAL), REAL);
        assert!(!clock.is_frozen());
    }

    #[test]
    fn freezing_holds_the_moment_until_advanced() {
        let clock = OrgClock::default()
            .apply(ClockSetting::FreezeAt(REAL + 100), REAL)
            .unwrap();
        assert_eq!(clock.reading(REAL + 5000), REAL + 100);
        let clock = clock.apply(ClockSetting::Advance(60), REAL + 5000).unwrap();
        assert_eq!(clock.reading(REAL + 9000), REAL + 160);
        assert!(clock.is_frozen());
    }

    #[test]
    fn advancing_a_running_clock_keeps_it_running_ahead() {
        let clock = OrgClock::default()
            .apply(ClockSetting::Advance(7 * 86_400), REAL)
            .unwrap();
        assert_eq!(clock.reading(REAL + 10), REAL + 7 * 86_400 + 10);
    }

    #[test]
    fn returning_to_real_time_never_reads_earlier() {
        let ahead = OrgClock::default()
            .apply(ClockSetting::Advance(1000), REAL)
            .unwrap();
        let back = ahead.apply(ClockSetting::Real, REAL + 10).unwrap();
        assert_eq!(back.reading(REAL + 10), REAL + 1010, "held at the floor");
        assert_eq!(
            back.reading(REAL + 2000),
            REAL + 2000,
            "real time once past it"
        );
        assert!(!back.is_frozen());
    }

    #[test]
    fn freezing_in_the_past_is_refused() {
        let clock = OrgClock::default();
        assert!(matches!(
            clock.apply(ClockSetting::FreezeAt(REAL - 1), REAL),
            Err(StoreError::Conflict {
                param: Some("now"),
                ..
            })
        ));
        assert!(clock.apply(ClockSetting::FreezeAt(REAL), REAL).is_ok());
    }

    #[test]
    fn shifts_are_bounded() {
        let clock = OrgClock::default();
        assert!(
            clock
                .apply(ClockSetting::Advance(MAX_SHIFT_SECONDS + 1), REAL)
                .is_err()
        );
        assert!(
            clock
                .apply(ClockSetting::FreezeAt(REAL + MAX_SHIFT_SECONDS + 1), REAL)
                .is_err()
        );
    }
}

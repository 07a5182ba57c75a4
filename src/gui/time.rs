//! Times for the reviewer: stored and shown in UTC, and also in the case's
//! display time zone when that is not UTC.

/// A stored UTC time (`2026-11-28T22:00:28.5Z`) in zone `tz`, e.g.
/// `2026-11-28 23:00:28 CET (Europe/Berlin)`; `None` for UTC, an unknown
/// zone or an unreadable time.
pub fn in_zone(utc: &str, tz: &str) -> Option<String> {
    if tz.is_empty() || tz.eq_ignore_ascii_case("UTC") {
        return None;
    }
    let zone = jiff::tz::TimeZone::get(tz).ok()?;
    let t: jiff::Timestamp = utc.parse().ok()?;
    Some(format!(
        "{} ({tz})",
        t.to_zoned_datetime(zone).strftime("%Y-%m-%d %H:%M:%S %Z")
    ))
}

/// Nanoseconds since the epoch as UTC to the second, `2026-11-28 22:00:28Z`.
pub fn utc_seconds(ns: i64) -> String {
    jiff::Timestamp::from_nanosecond(i128::from(ns))
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// Checks a time zone name for the new-case form.
pub fn valid_zone(tz: &str) -> bool {
    tz.eq_ignore_ascii_case("UTC") || jiff::tz::TimeZone::get(tz).is_ok()
}

/// This machine's zone name, else `UTC`.
pub fn system_zone() -> String {
    jiff::tz::TimeZone::system()
        .iana_name()
        .map(str::to_string)
        .unwrap_or_else(|| "UTC".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn berlin_winter_and_summer_and_utc() {
        assert_eq!(
            in_zone("2026-11-28T22:00:28.549035492Z", "Europe/Berlin").as_deref(),
            Some("2026-11-28 23:00:28 CET (Europe/Berlin)")
        );
        assert_eq!(
            in_zone("2026-07-01T12:00:00Z", "Europe/Berlin").as_deref(),
            Some("2026-07-01 14:00:00 CEST (Europe/Berlin)")
        );
        assert_eq!(in_zone("2026-07-01T12:00:00Z", "UTC"), None);
        assert_eq!(in_zone("2026-07-01T12:00:00Z", "Mars/Olympus"), None);
        assert_eq!(
            utc_seconds(1_000_000_000_123_456_789),
            "2001-09-09 01:46:40Z"
        );
        assert!(valid_zone("America/New_York") && !valid_zone("Nowhere/Else"));
    }
}

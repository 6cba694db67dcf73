//! Timestamps as the upstreams write them.

use time::OffsetDateTime;

pub(crate) fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Django REST framework's `DateTimeField` in UTC: ISO 8601, microseconds only when non-zero,
/// `Z` for UTC (`2026-09-01T10:00:00.123456Z`).
pub(crate) fn drf(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let micros = t.microsecond();
    let frac = if micros == 0 {
        String::new()
    } else {
        format!(".{micros:06}")
    };
    format!("{}{frac}Z", seconds_part(t))
}

/// `YYYY-MM-DDTHH:MM:SSZ` (Stalwart's UTC dates).
pub(crate) fn utc_seconds(t: OffsetDateTime) -> String {
    format!("{}Z", seconds_part(t.to_offset(time::UtcOffset::UTC)))
}

fn seconds_part(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let t = OffsetDateTime::from_unix_timestamp(1_788_336_000).unwrap();
        assert_eq!(drf(t), "2026-09-02T08:00:00Z");
        assert_eq!(utc_seconds(t), "2026-09-02T08:00:00Z");
        let t = t + time::Duration::microseconds(1500);
        assert_eq!(drf(t), "2026-09-02T08:00:00.001500Z");
    }
}

//! Times as pages show them. Timestamps are milliseconds since the Unix epoch; pages write
//! them in UTC, the same on the server and in the browser.

/// `2026-11-22 14:05 UTC`.
pub fn format_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// The ISO 8601 form for `<time datetime>`: `2026-11-22T14:05:09Z`.
pub fn iso_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Reads an RFC 3339 time in UTC (`2026-05-23T14:22:17Z`, fractions of a second allowed,
/// `+00:00` for `Z`) as milliseconds since the Unix epoch.
pub fn parse_rfc3339_utc(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let body = raw
        .strip_suffix('Z')
        .or_else(|| raw.strip_suffix("+00:00"))
        .or_else(|| raw.strip_suffix('z'))?;
    let (date, time) = body.split_once(['T', 't'])?;
    let mut d = date.split('-');
    let (y, m, day): (i64, u32, u32) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    if d.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut t = hms.split(':');
    let (h, mi, s): (i64, i64, i64) = (
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
    );
    if t.next().is_some()
        || h > 23
        || mi > 59
        || s > 60
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let millis: i64 = format!("{frac:0<3}").get(..3)?.parse().ok()?;
    let days = days_from_civil(y, m, day);
    if civil_from_days(days) != (y, m, day) {
        return None;
    }
    Some(((days * 86_400 + h * 3600 + mi * 60 + s) * 1000) + millis)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_format_in_utc() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(iso_utc(1_779_546_137_000), "2026-05-23T14:22:17Z");
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(iso_utc(-1_000), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn rfc3339_times_read_back() {
        assert_eq!(
            parse_rfc3339_utc("2026-05-23T14:22:17Z"),
            Some(1_779_546_137_000)
        );
        assert_eq!(
            parse_rfc3339_utc("2026-05-23T14:22:17.5+00:00"),
            Some(1_779_546_137_500)
        );
        assert_eq!(
            parse_rfc3339_utc("2000-02-29T00:00:00Z"),
            Some(951_782_400_000)
        );
        for bad in [
            "2026-02-30T00:00:00Z",
            "2026-05-23 14:22:17",
            "yesterday",
            "2026-05-23T14:22:17+02:00",
            "",
        ] {
            assert_eq!(parse_rfc3339_utc(bad), None, "{bad}");
        }
        let now = 1_779_546_137_123;
        assert_eq!(parse_rfc3339_utc(&iso_utc(now)), Some(now - 123));
    }
}

//! Calendar conversions for the validity window, all in UTC: `CK_DATE` (`YYYYMMDD`) and RFC 3339
//! (`YYYY-MM-DDTHH:MM:SSZ`) to and from milliseconds since the Unix epoch. Days are counted with
//! Howard Hinnant's `days_from_civil` algorithm (proleptic Gregorian calendar).

/// Milliseconds in one day.
pub const DAY_MS: i64 = 86_400_000;

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn days_in_month(y: i64, m: i64) -> i64 {
    days_from_civil(
        if m == 12 { y + 1 } else { y },
        if m == 12 { 1 } else { m + 1 },
        1,
    ) - days_from_civil(y, m, 1)
}

fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The start (00:00 UTC) of a valid calendar day, in ms; `None` for an impossible date.
fn day_start(y: i64, m: i64, d: i64) -> Option<i64> {
    if !(1..=9999).contains(&y) || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d) * DAY_MS)
}

/// The start of the day a `CK_DATE` names, in ms; `None` unless it is eight digits of a real day.
pub fn ck_date_start(date: &str) -> Option<i64> {
    if date.len() != 8 {
        return None;
    }
    day_start(
        digits(&date[..4])?,
        digits(&date[4..6])?,
        digits(&date[6..])?,
    )
}

/// The `CK_DATE` of the day that contains `ms`.
pub fn ck_date(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(DAY_MS));
    format!("{y:04}{m:02}{d:02}")
}

/// `ms` as RFC 3339 in UTC, to the second (`2026-11-25T13:45:00Z`).
pub fn rfc3339(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(DAY_MS));
    let secs = ms.div_euclid(1000).rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SSZ` (UTC only) or a number of ms since the epoch.
pub fn parse_time(s: &str) -> Option<i64> {
    if let Some(ms) = digits(s) {
        return Some(ms);
    }
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t.strip_suffix('Z')?)),
        None => (s, None),
    };
    let mut parts = date.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let start = day_start(digits(y)?, digits(m)?, digits(d)?)?;
    let Some(time) = time else {
        return Some(start);
    };
    let t: Vec<&str> = time.split(':').collect();
    let [h, mi, se] = t.as_slice() else {
        return None;
    };
    if [h, mi, se].iter().any(|p| p.len() != 2) {
        return None;
    }
    let (h, mi, se) = (digits(h)?, digits(mi)?, digits(se)?);
    if h > 23 || mi > 59 || se > 59 {
        return None;
    }
    Some(start + ((h * 60 + mi) * 60 + se) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ck_dates_round_trip_and_reject_impossible_days() {
        assert_eq!(ck_date_start("19700101"), Some(0));
        assert_eq!(ck_date_start("19700102"), Some(DAY_MS));
        let leap = ck_date_start("20240229").unwrap();
        assert_eq!(ck_date(leap), "20240229");
        assert_eq!(ck_date(leap + DAY_MS - 1), "20240229");
        assert_eq!(ck_date(leap + DAY_MS), "20240301");
        for bad in [
            "20230229", "20241301", "20240100", "2024010", "2024010x", "",
        ] {
            assert_eq!(ck_date_start(bad), None, "{bad}");
        }
    }

    #[test]
    fn rfc3339_round_trips_and_epoch_ms_is_accepted() {
        let t = parse_time("2026-11-25T13:45:07Z").unwrap();
        assert_eq!(rfc3339(t), "2026-11-25T13:45:07Z");
        assert_eq!(parse_time("2026-11-25"), ck_date_start("20261125"));
        assert_eq!(parse_time("1700000000000"), Some(1_700_000_000_000));
        for bad in [
            "2026-11-25T13:45:07",
            "2026-11-25T24:00:00Z",
            "2026-13-01",
            "26-11-25",
            "yesterday",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }
}

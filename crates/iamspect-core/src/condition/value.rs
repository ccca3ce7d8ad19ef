//! Reading typed values (numbers, dates, booleans, IP addresses, base64) from policy and request text.

use std::net::IpAddr;

use base64::Engine as _;
use ipnet::IpNet;
use jiff::Timestamp;

/// IAM numbers are integers or decimals; `f64` holds every value AWS documents exactly enough.
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() || t.contains(['e', 'E']) || t.eq_ignore_ascii_case("nan") || t.contains("inf") {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// `true`/`false` in any letter case (decision D9).
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A W3C-profile ISO 8601 date (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`, with time to minutes, seconds or
/// fractions and a zone) or epoch seconds. Values without a zone are UTC.
pub(crate) fn parse_date(text: &str) -> Option<Timestamp> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) && t.len() != 4 {
        let secs: i64 = t.parse().ok()?;
        return Timestamp::from_second(secs).ok();
    }
    if let Some(ts) = utc_seconds(t) {
        return Some(ts);
    }
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Some(ts);
    }
    if let Ok(dt) = t.parse::<jiff::civil::DateTime>() {
        return dt.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp());
    }
    let (year, month) = match t.split_once('-') {
        Some((y, m)) if m.len() == 2 => (y, m.parse::<i8>().ok()?),
        None if t.len() == 4 => (t, 1),
        _ => return None,
    };
    let year: i16 = year.parse().ok()?;
    let date = jiff::civil::Date::new(year, month, 1).ok()?;
    date.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp())
}

/// The form AWS writes `aws:CurrentTime` in, `YYYY-MM-DDTHH:MM:SSZ`, read without the general
/// parser (a date is read on every evaluation of a `Date*` condition). Anything else, including
/// a day past the month's end or a leap second, is left to jiff, which gives the same answer for
/// every text this accepts (tested below against jiff).
fn utc_seconds(t: &str) -> Option<Timestamp> {
    let b: &[u8; 20] = t.as_bytes().try_into().ok()?;
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        b.get(range)?.iter().try_fold(0i64, |n, &c| c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0')))
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day < 1 || day > month_days || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // Days since 1970-01-01 of a proleptic Gregorian date (the civil-from-days inverse).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Timestamp::from_second(days * 86_400 + hour * 3_600 + minute * 60 + second).ok()
}

/// A CIDR block, or a bare address meaning `/32` (IPv4) or `/128` (IPv6). Host bits may be set,
/// as IAM allows (`10.1.2.3/16`).
pub(crate) fn parse_cidr(text: &str) -> Option<IpNet> {
    let t = text.trim();
    if let Ok(net) = t.parse::<IpNet>() {
        return Some(net);
    }
    t.parse::<IpAddr>().ok().map(IpNet::from)
}

pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    let t = text.trim();
    t.parse::<IpAddr>().ok()
}

pub(crate) fn parse_base64(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let a = parse_date("2020-01-01T00:00:00Z").unwrap();
        assert_eq!(parse_date("2020-01-01"), Some(a));
        assert_eq!(parse_date("2020-01"), Some(a));
        assert_eq!(parse_date("2020"), Some(a));
        assert_eq!(parse_date("1577836800"), Some(a));
        assert_eq!(parse_date("2020-01-01T00:00Z"), Some(a));
        assert_eq!(parse_date("2020-01-01T01:00:00+01:00"), Some(a));
        assert!(parse_date("2020-01-01T00:00:00.5Z").unwrap() > a);
        assert_eq!(parse_date("yesterday"), None);
    }

    #[test]
    fn the_fast_date_reading_is_jiffs() {
        let years = [0, 1, 4, 99, 100, 400, 1600, 1900, 1969, 1970, 1999, 2000, 2024, 2025, 2100, 2400, 9999];
        let times = [(0, 0, 0), (23, 59, 59), (24, 0, 0), (12, 60, 0), (12, 0, 60), (9, 5, 7)];
        let mut checked = 0;
        for year in years {
            for month in 0..=13 {
                for day in 0..=32 {
                    for (h, m, sec) in times {
                        let t = format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{sec:02}Z");
                        if let Some(fast) = utc_seconds(&t) {
                            assert_eq!(Some(fast), t.parse::<Timestamp>().ok(), "{t}");
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 10_000);
        for t in ["2020-01-01t00:00:00z", "2020-01-01T00:00:00.1Z", "2020-1-01T00:00:00Z", "+020-01-01T00:00:00Z"] {
            assert_eq!(utc_seconds(t), None, "{t}");
        }
    }

    #[test]
    fn numbers_and_ips() {
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number("-1.5"), Some(-1.5));
        assert_eq!(parse_number("abc"), None);
        assert!(parse_cidr("10.1.2.3/16").unwrap().contains(&parse_ip("10.1.99.1").unwrap()));
        assert!(parse_cidr("2001:db8::/32").unwrap().contains(&parse_ip("2001:db8::1").unwrap()));
        assert!(parse_cidr("203.0.113.7").unwrap().contains(&parse_ip("203.0.113.7").unwrap()));
        assert_eq!(parse_bool("True"), Some(true));
    }
}

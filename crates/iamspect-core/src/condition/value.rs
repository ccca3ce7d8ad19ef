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

//! Typed condition values (numbers, dates, IP addresses, booleans): every comparison a policy makes
//! on one key splits the values into finitely many regions where every comparison answers the same,
//! so one representative per region stands for all (decision D65). Representatives are written as
//! text that the core reads back to exactly the represented value.

use std::net::IpAddr;

use iamspect_core::condition::{BaseOperator, bool_value, date_nanos, number_value};

/// One comparison's policy values, read as the core reads them.
#[derive(Clone, Debug)]
pub(crate) enum Typed {
    Number(BaseOperator, Vec<f64>),
    Date(BaseOperator, Vec<i128>),
    Ip(Vec<(IpAddr, u8)>),
    Bool(Vec<bool>),
}

/// Does the request value `text` match any policy value under the positive form of the operator?
/// `None` when the core cannot read it (the condition's outcome is then a type error).
pub(crate) fn matches_any(t: &Typed, text: &str) -> Option<bool> {
    use BaseOperator::*;
    Some(match t {
        Typed::Number(op, ns) => {
            let x = number_value(text)?;
            ns.iter().any(|&n| match op {
                NumericEquals | NumericNotEquals => x == n,
                NumericLessThan => x < n,
                NumericLessThanEquals => x <= n,
                NumericGreaterThan => x > n,
                _ => x >= n,
            })
        }
        Typed::Date(op, ds) => {
            let x = date_nanos(text)?;
            ds.iter().any(|&d| match op {
                DateEquals | DateNotEquals => x == d,
                DateLessThan => x < d,
                DateLessThanEquals => x <= d,
                DateGreaterThan => x > d,
                _ => x >= d,
            })
        }
        Typed::Ip(nets) => {
            let x = iamspect_core::condition::ip_value(text)?;
            nets.iter().any(|&(net, len)| contains(net, len, x))
        }
        Typed::Bool(bs) => {
            let x = bool_value(text)?;
            bs.contains(&x)
        }
    })
}

fn bits(a: IpAddr) -> (bool, u128) {
    match a {
        IpAddr::V4(v) => (false, u128::from(u32::from(v))),
        IpAddr::V6(v) => (true, u128::from(v)),
    }
}

fn width(v6: bool) -> u32 {
    if v6 { 128 } else { 32 }
}

fn mask(v6: bool, len: u8) -> u128 {
    let w = width(v6);
    let len = u32::from(len).min(w);
    let full = if w == 128 { u128::MAX } else { u128::from(u32::MAX) };
    full & !full.checked_shr(len).unwrap_or(0)
}

/// As `IpNet::contains`: same family, and the address inside the masked network.
fn contains(net: IpAddr, len: u8, x: IpAddr) -> bool {
    let (nv6, n) = bits(net);
    let (xv6, a) = bits(x);
    nv6 == xv6 && (n & mask(nv6, len)) == (a & mask(nv6, len))
}

fn render_ip(v6: bool, a: u128) -> String {
    if v6 {
        std::net::Ipv6Addr::from(a).to_string()
    } else {
        std::net::Ipv4Addr::from(u32::try_from(a).unwrap_or(0)).to_string()
    }
}

/// Representative values: one per region of the comparisons given. The caller adds one value that
/// no comparison can read (the type-error region).
pub(crate) fn representatives(comparisons: &[&Typed]) -> Vec<String> {
    let mut out = Vec::new();
    let Some(first) = comparisons.first() else {
        return out;
    };
    match first {
        Typed::Number(..) => {
            let mut cs: Vec<f64> = comparisons
                .iter()
                .flat_map(|t| match t {
                    Typed::Number(_, ns) => ns.clone(),
                    _ => Vec::new(),
                })
                .collect();
            cs.sort_by(f64::total_cmp);
            cs.dedup();
            let mut pts: Vec<f64> = Vec::new();
            match (cs.first(), cs.last()) {
                (Some(&lo), Some(&hi)) => {
                    pts.push(lo - 1.0 - lo.abs());
                    pts.push(hi + 1.0 + hi.abs());
                }
                _ => pts.push(0.0),
            }
            for w in cs.windows(2) {
                if let [a, b] = w {
                    let mid = a / 2.0 + b / 2.0;
                    if mid > *a && mid < *b {
                        pts.push(mid);
                    }
                }
            }
            pts.extend(cs.iter().copied());
            for p in pts {
                let text = format!("{p}");
                // Keep only text the core reads back to the same number.
                if p.is_finite() && number_value(&text) == Some(p) {
                    out.push(text);
                }
            }
        }
        Typed::Date(..) => {
            let mut cs: Vec<i128> = comparisons
                .iter()
                .flat_map(|t| match t {
                    Typed::Date(_, ds) => ds.clone(),
                    _ => Vec::new(),
                })
                .collect();
            cs.sort_unstable();
            cs.dedup();
            let day = 86_400_000_000_000i128;
            let mut pts: Vec<i128> = cs.clone();
            match (cs.first(), cs.last()) {
                (Some(&lo), Some(&hi)) => {
                    pts.push(lo - day);
                    pts.push(hi + day);
                }
                _ => pts.push(1_767_225_600_000_000_000),
            }
            for w in cs.windows(2) {
                if let [a, b] = w
                    && a + 1 < *b
                {
                    pts.push(a + 1);
                }
            }
            for p in pts {
                if let Some(text) = render_date(p)
                    && date_nanos(&text) == Some(p)
                {
                    out.push(text);
                }
            }
        }
        Typed::Ip(_) => {
            let mut nets: Vec<(bool, u128, u8)> = comparisons
                .iter()
                .flat_map(|t| match t {
                    Typed::Ip(ns) => ns.clone(),
                    _ => Vec::new(),
                })
                .map(|(a, len)| {
                    let (v6, n) = bits(a);
                    let len = len.min(if v6 { 128 } else { 32 });
                    (v6, n & mask(v6, len), len)
                })
                .collect();
            nets.push((false, 0, 0));
            nets.push((true, 0, 0));
            nets.sort_unstable();
            nets.dedup();
            for &(v6, n, len) in &nets {
                // An address inside this block and outside every block strictly inside it: it is
                // in exactly the blocks that contain this one (blocks nest or are disjoint).
                let inner: Vec<(u128, u8)> = nets
                    .iter()
                    .filter(|&&(v, m, l)| v == v6 && l > len && (m & mask(v6, len)) == n)
                    .map(|&(_, m, l)| (m, l))
                    .collect();
                if let Some(a) = avoid(v6, n, len, &inner) {
                    out.push(render_ip(v6, a));
                }
            }
        }
        Typed::Bool(_) => {
            out.push("true".to_string());
            out.push("false".to_string());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// An address in `n/len` outside every block of `inner` (all inside `n/len`), if any.
fn avoid(v6: bool, n: u128, len: u8, inner: &[(u128, u8)]) -> Option<u128> {
    if inner.iter().any(|&(m, l)| l <= len && (n & mask(v6, l)) == m) {
        return None;
    }
    let overlapping: Vec<(u128, u8)> =
        inner.iter().copied().filter(|&(m, l)| l > len && (m & mask(v6, len)) == n).collect();
    if overlapping.is_empty() {
        return Some(n);
    }
    if u32::from(len) >= width(v6) {
        return None;
    }
    let bit = 1u128 << (width(v6) - u32::from(len) - 1);
    avoid(v6, n, len + 1, &overlapping).or_else(|| avoid(v6, n | bit, len + 1, &overlapping))
}

fn render_date(nanos: i128) -> Option<String> {
    let secs = i64::try_from(nanos.div_euclid(1_000_000_000)).ok()?;
    let sub = i32::try_from(nanos.rem_euclid(1_000_000_000)).ok()?;
    let ts = jiff_timestamp(secs, sub)?;
    Some(ts)
}

/// RFC 3339 text of a timestamp, with nanoseconds when needed.
fn jiff_timestamp(secs: i64, nanos: i32) -> Option<String> {
    // Civil UTC from epoch seconds (days from civil, Howard Hinnant's algorithm).
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if mo <= 2 { y + 1 } else { y };
    if !(0..=9999).contains(&y) {
        return None;
    }
    Some(if nanos == 0 {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}Z")
    } else {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}.{nanos:09}Z")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use iamspect_core::condition::cidr_value;

    #[test]
    fn ip_regions() {
        let t = Typed::Ip(vec![(cidr_value("10.0.0.0/8").unwrap()), cidr_value("10.1.0.0/16").unwrap()]);
        let reps = representatives(&[&t]);
        let inside: Vec<_> = reps.iter().map(|r| matches_any(&t, r)).collect();
        assert!(inside.contains(&Some(true)) && inside.contains(&Some(false)));
        assert_eq!(reps.len(), 4, "{reps:?}");
    }

    #[test]
    fn dates_round_trip() {
        let d = date_nanos("2020-01-01T00:00:00Z").unwrap();
        for p in [d, d + 1, d - 86_400_000_000_000] {
            assert_eq!(date_nanos(&render_date(p).unwrap()), Some(p));
        }
    }
}

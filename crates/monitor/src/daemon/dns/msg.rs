//! The few DNS message operations the embedded server needs (RFC 1035 §4): read the
//! header and the one question of a query, build an answer to it (A, PTR, an empty
//! NOERROR, SERVFAIL) and swap message ids. No compression is read in a question (no
//! resolver sends one); answers point back to the question's name (offset 12).

use std::net::Ipv4Addr;

pub const TYPE_A: u16 = 1;
pub const TYPE_PTR: u16 = 12;
pub const TYPE_ANY: u16 = 255;
pub const CLASS_IN: u16 = 1;

pub const RCODE_SERVFAIL: u8 = 2;

/// Answers' time to live, in seconds (Docker's embedded server uses 600).
const TTL: u32 = 600;
const HEADER: usize = 12;

/// The question of a standard query.
#[derive(Debug, PartialEq, Eq)]
pub struct Question {
    /// Lowercased, dot-separated, without the root's trailing dot.
    pub name: String,
    pub qtype: u16,
    pub qclass: u16,
    /// Where the question section ends in the query.
    pub end: usize,
}

pub fn id(msg: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes([*msg.first()?, *msg.get(1)?]))
}

pub fn set_id(msg: &mut [u8], id: u16) {
    if msg.len() >= 2 {
        msg[..2].copy_from_slice(&id.to_be_bytes());
    }
}

/// The question of `msg` if it is a standard query (QR clear, opcode 0) with exactly
/// one question; `None` for anything else (which is then forwarded as it is).
pub fn question(msg: &[u8]) -> Option<Question> {
    if msg.len() < HEADER {
        return None;
    }
    let flags = msg[2];
    let qr = flags & 0x80 != 0;
    let opcode = (flags >> 3) & 0x0f;
    let qdcount = u16::from_be_bytes([msg[4], msg[5]]);
    if qr || opcode != 0 || qdcount != 1 {
        return None;
    }
    let mut at = HEADER;
    let mut name = String::new();
    loop {
        let len = usize::from(*msg.get(at)?);
        at += 1;
        if len == 0 {
            break;
        }
        if len & 0xc0 != 0 {
            return None;
        }
        let label = msg.get(at..at + len)?;
        if !name.is_empty() {
            name.push('.');
        }
        for &b in label {
            name.push(char::from(b.to_ascii_lowercase()));
        }
        at += len;
        if name.len() > 255 {
            return None;
        }
    }
    let qtype = u16::from_be_bytes([*msg.get(at)?, *msg.get(at + 1)?]);
    let qclass = u16::from_be_bytes([*msg.get(at + 2)?, *msg.get(at + 3)?]);
    Some(Question {
        name,
        qtype,
        qclass,
        end: at + 4,
    })
}

/// A response header and the question copied from `query`; `ancount` answers follow.
fn response(query: &[u8], q_end: usize, rcode: u8, ancount: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(q_end + 16 * usize::from(ancount));
    out.extend_from_slice(&query[..2]);
    // QR, opcode 0, AA, RD as asked; RA; rcode.
    out.push(0x80 | 0x04 | (query[2] & 0x01));
    out.push(0x80 | (rcode & 0x0f));
    let qd: u16 = if q_end > HEADER { 1 } else { 0 };
    for n in [qd, ancount, 0, 0] {
        out.extend_from_slice(&n.to_be_bytes());
    }
    out.extend_from_slice(&query[HEADER..q_end]);
    out
}

fn answer_head(out: &mut Vec<u8>, rtype: u16, rdlen: u16) {
    out.extend_from_slice(&[0xc0, HEADER as u8]);
    out.extend_from_slice(&rtype.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    out.extend_from_slice(&TTL.to_be_bytes());
    out.extend_from_slice(&rdlen.to_be_bytes());
}

/// A NOERROR answer with one A record per address (none: an empty answer, "this name
/// exists, not with that type").
pub fn answer_a(query: &[u8], q: &Question, addrs: &[Ipv4Addr]) -> Vec<u8> {
    let n = u16::try_from(addrs.len()).unwrap_or(u16::MAX);
    let mut out = response(query, q.end, 0, n);
    for a in addrs.iter().take(usize::from(n)) {
        answer_head(&mut out, TYPE_A, 4);
        out.extend_from_slice(&a.octets());
    }
    out
}

/// A NOERROR answer with one PTR record naming `target`.
pub fn answer_ptr(query: &[u8], q: &Question, target: &str) -> Vec<u8> {
    let mut rdata = Vec::with_capacity(target.len() + 2);
    for label in target.split('.').filter(|l| !l.is_empty()) {
        let l = &label.as_bytes()[..label.len().min(63)];
        rdata.push(l.len() as u8);
        rdata.extend_from_slice(l);
    }
    rdata.push(0);
    let mut out = response(query, q.end, 0, 1);
    answer_head(&mut out, TYPE_PTR, rdata.len() as u16);
    out.extend_from_slice(&rdata);
    out
}

/// An error response (`rcode`) to `query`, with its question when it has one.
pub fn error(query: &[u8], rcode: u8) -> Option<Vec<u8>> {
    if query.len() < HEADER {
        return None;
    }
    let end = question(query).map_or(HEADER, |q| q.end);
    Some(response(query, end, rcode, 0))
}

/// The address a reverse name (`4.3.2.1.in-addr.arpa`) stands for.
pub fn reverse_v4(name: &str) -> Option<Ipv4Addr> {
    let rest = name.strip_suffix(".in-addr.arpa")?;
    let mut o = [0u8; 4];
    let mut parts = rest.split('.');
    for i in (0..4).rev() {
        o[i] = parts.next()?.parse().ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(Ipv4Addr::from(o))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A query as resolvers send it: id, RD, one question.
    pub fn query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
        let mut m = id.to_be_bytes().to_vec();
        m.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
        for l in name.split('.').filter(|l| !l.is_empty()) {
            m.push(l.len() as u8);
            m.extend_from_slice(l.as_bytes());
        }
        m.push(0);
        m.extend_from_slice(&qtype.to_be_bytes());
        m.extend_from_slice(&CLASS_IN.to_be_bytes());
        m
    }

    #[test]
    fn parses_the_question_case_insensitively() {
        let m = query(7, "Web.Example.", TYPE_A);
        let q = question(&m).unwrap();
        assert_eq!(q.name, "web.example");
        assert_eq!((q.qtype, q.qclass, q.end), (TYPE_A, CLASS_IN, m.len()));
        assert_eq!(id(&m), Some(7));
        // A response, a truncated message: no question.
        let mut r = m.clone();
        r[2] |= 0x80;
        assert!(question(&r).is_none());
        assert!(question(&m[..m.len() - 1]).is_none());
    }

    #[test]
    fn builds_answers() {
        let m = query(0x1234, "web", TYPE_A);
        let q = question(&m).unwrap();
        let a = answer_a(&m, &q, &["10.0.0.2".parse().unwrap()]);
        assert_eq!(&a[..2], &[0x12, 0x34]);
        assert_eq!(a[2] & 0x80, 0x80, "QR");
        assert_eq!(a[3] & 0x0f, 0, "NOERROR");
        assert_eq!(u16::from_be_bytes([a[6], a[7]]), 1, "ANCOUNT");
        assert_eq!(&a[a.len() - 4..], &[10, 0, 0, 2]);
        let e = answer_a(&m, &q, &[]);
        assert_eq!(e.len(), m.len());
        let s = error(&m, RCODE_SERVFAIL).unwrap();
        assert_eq!(s[3] & 0x0f, RCODE_SERVFAIL);
        assert_eq!(&s[12..], &m[12..]);
        let p = query(1, "2.0.0.10.in-addr.arpa", TYPE_PTR);
        let pq = question(&p).unwrap();
        assert_eq!(reverse_v4(&pq.name), Some("10.0.0.2".parse().unwrap()));
        let pa = answer_ptr(&p, &pq, "web");
        assert!(pa.ends_with(&[3, b'w', b'e', b'b', 0]));
    }
}

//! The names the embedded server answers for, from the records file the engine writes
//! (`IP<TAB>name alias… shortid` per line, replaced atomically): re-read when the
//! file's inode, size or modification time changed since the last read.

use std::net::Ipv4Addr;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

#[derive(Debug, Default)]
pub struct Records {
    path: PathBuf,
    stamp: Option<(u64, u64, i64, i64)>,
    /// (lowercased name, address), in file order.
    entries: Vec<(String, Ipv4Addr)>,
}

impl Records {
    pub fn new(path: PathBuf) -> Records {
        Records {
            path,
            ..Default::default()
        }
    }

    /// Reads the file again if it changed; a missing file means no names.
    pub fn refresh(&mut self) {
        let stamp = std::fs::metadata(&self.path)
            .ok()
            .map(|m| (m.ino(), m.size(), m.mtime(), m.mtime_nsec()));
        if stamp == self.stamp {
            return;
        }
        self.stamp = stamp;
        let text = std::fs::read_to_string(&self.path).unwrap_or_default();
        self.entries = parse(&text);
    }

    /// The addresses of `name` (lowercased, no trailing dot); empty when unknown.
    pub fn lookup(&self, name: &str) -> Vec<Ipv4Addr> {
        let mut out: Vec<Ipv4Addr> = Vec::new();
        for (n, ip) in &self.entries {
            if n == name && !out.contains(ip) {
                out.push(*ip);
            }
        }
        out
    }

    /// The first name recorded for `ip` (for PTR queries).
    pub fn name_of(&self, ip: Ipv4Addr) -> Option<&str> {
        self.entries
            .iter()
            .find(|(_, a)| *a == ip)
            .map(|(n, _)| n.as_str())
    }
}

fn parse(text: &str) -> Vec<(String, Ipv4Addr)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let Some(ip) = words.next().and_then(|w| w.parse::<Ipv4Addr>().ok()) else {
            continue;
        };
        for w in words {
            let name = w.trim_end_matches('.').to_ascii_lowercase();
            if !name.is_empty() {
                out.push((name, ip));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_rereads_the_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("dns.records");
        let mut r = Records::new(p.clone());
        r.refresh();
        assert!(r.lookup("web").is_empty());
        std::fs::write(&p, "10.0.0.2\tWeb alias abc123\n10.0.1.2\tweb\nbad line\n").unwrap();
        r.refresh();
        let two: Vec<Ipv4Addr> = vec!["10.0.0.2".parse().unwrap(), "10.0.1.2".parse().unwrap()];
        assert_eq!(r.lookup("web"), two);
        assert_eq!(r.lookup("alias"), two[..1]);
        assert_eq!(r.name_of(two[1]), Some("web"));
        let tmp = d.path().join(".tmp");
        std::fs::write(&tmp, "10.0.0.3\tdb\n").unwrap();
        std::fs::rename(&tmp, &p).unwrap();
        r.refresh();
        assert!(r.lookup("web").is_empty());
        assert_eq!(r.lookup("db"), ["10.0.0.3".parse::<Ipv4Addr>().unwrap()]);
    }
}

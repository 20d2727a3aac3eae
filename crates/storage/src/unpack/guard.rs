//! A reader that watches the tar headers streaming past and refuses oversized extension
//! records (PAX `x`/`g`, GNU long name `L` / long link `K`).
//!
//! Why: the `tar` crate reads each extension record whole into memory before yielding the
//! entry it describes, so one header claiming gigabytes of "long name" (a few KB once gzipped)
//! would exhaust memory long before the byte limit on file contents could apply.

use std::io::{self, Read};

/// The largest extension record accepted (names are at most PATH_MAX; xattrs 64 KiB each).
pub(crate) const MAX_EXTENSION: u64 = 1 << 20;

const BLOCK: usize = 512;

pub(crate) struct HeaderGuard<R> {
    inner: R,
    header: [u8; BLOCK],
    filled: usize,
    /// Data bytes (padded to a block) until the next header.
    skip: u64,
    /// After the end-of-archive block nothing more is inspected.
    done: bool,
}

impl<R: Read> HeaderGuard<R> {
    pub(crate) fn new(inner: R) -> Self {
        HeaderGuard {
            inner,
            header: [0; BLOCK],
            filled: 0,
            skip: 0,
            done: false,
        }
    }

    fn inspect(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() && !self.done {
            if self.skip > 0 {
                let n = usize::try_from(self.skip)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                self.skip -= n as u64;
                bytes = &bytes[n..];
                continue;
            }
            let n = (BLOCK - self.filled).min(bytes.len());
            self.header[self.filled..self.filled + n].copy_from_slice(&bytes[..n]);
            self.filled += n;
            bytes = &bytes[n..];
            if self.filled == BLOCK {
                self.filled = 0;
                self.header_done()?;
            }
        }
        Ok(())
    }

    fn header_done(&mut self) -> io::Result<()> {
        if self.header.iter().all(|b| *b == 0) {
            self.done = true;
            return Ok(());
        }
        let h = tar::Header::from_byte_slice(&self.header);
        // A header tar cannot parse is reported by tar itself; stop watching.
        let Ok(size) = h.entry_size() else {
            self.done = true;
            return Ok(());
        };
        let kind = h.entry_type();
        let extension = kind.is_pax_local_extensions()
            || kind.is_pax_global_extensions()
            || kind.is_gnu_longname()
            || kind.is_gnu_longlink();
        if extension && size > MAX_EXTENSION {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("tar extension record ({kind:?}) of {size} bytes exceeds the {MAX_EXTENSION}-byte limit"),
            ));
        }
        self.skip = size.div_ceil(BLOCK as u64) * BLOCK as u64;
        Ok(())
    }
}

impl<R: Read> Read for HeaderGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.inspect(&buf[..n])?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext_header(kind: tar::EntryType, size: u64) -> Vec<u8> {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_cksum();
        h.as_bytes().to_vec()
    }

    #[test]
    fn refuses_huge_extension_records_only() {
        for kind in [
            tar::EntryType::XHeader,
            tar::EntryType::GNULongName,
            tar::EntryType::GNULongLink,
        ] {
            let data = ext_header(kind, 1 << 40);
            let err = io::copy(&mut HeaderGuard::new(&data[..]), &mut io::sink()).unwrap_err();
            assert!(err.to_string().contains("exceeds"), "{err}");
        }
        // A big regular file is fine (its data is streamed, not buffered), and its data is
        // skipped, not parsed as headers.
        let mut data = ext_header(tar::EntryType::Regular, 3 * 512);
        data.extend(std::iter::repeat_n(0xffu8, 3 * 512));
        data.extend(ext_header(tar::EntryType::XHeader, 100));
        data.extend(vec![0u8; 512 * 3]);
        data.extend(b"trailing garbage after the end".repeat(50));
        let mut g = HeaderGuard::new(&data[..]);
        let mut out = Vec::new();
        // Read in odd-sized pieces so headers straddle reads.
        let mut chunk = [0u8; 77];
        loop {
            let n = g.read(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&chunk[..n]);
        }
        assert_eq!(out, data);
    }
}

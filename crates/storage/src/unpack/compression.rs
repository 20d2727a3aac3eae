//! Detecting a layer's compression from its first bytes (media types lie, magic bytes don't).

use std::io::{self, Cursor, Read};

use crate::error::{Result, StorageError};

/// How a layer stream is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// A plain tar.
    None,
    /// gzip (`application/vnd.oci.image.layer.v1.tar+gzip`).
    Gzip,
    /// zstd (`application/vnd.oci.image.layer.v1.tar+zstd`).
    Zstd,
}

const GZIP: &[u8] = &[0x1f, 0x8b];
const ZSTD: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
const XZ: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0x00];
/// "BZh", a block-size digit, then the block magic (pi): a tar whose first file is named
/// `BZh…` must not be mistaken for bzip2.
fn is_bzip2(head: &[u8]) -> bool {
    head.len() >= 10
        && head.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&head[3])
        && &head[4..10] == b"1AY&SY"
}

/// Reads the first bytes of `reader` and returns a reader of the decompressed tar stream.
pub(crate) fn decoder<'a, R: Read + 'a>(
    mut reader: R,
    layer: &str,
) -> Result<(Box<dyn Read + 'a>, Compression)> {
    let mut head = [0u8; 10];
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(StorageError::ReadArchive {
                    layer: layer.to_string(),
                    source,
                })
            }
        }
    }
    let head = &head[..filled];
    let whole = Cursor::new(head.to_vec()).chain(reader);
    if head.starts_with(GZIP) {
        let buffered = io::BufReader::with_capacity(64 * 1024, whole);
        Ok((
            Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
            Compression::Gzip,
        ))
    } else if head.starts_with(ZSTD) {
        let dec = zstd::stream::read::Decoder::new(whole).map_err(|source| {
            StorageError::ReadArchive {
                layer: layer.to_string(),
                source,
            }
        })?;
        Ok((Box::new(dec), Compression::Zstd))
    } else if head.starts_with(XZ) {
        Err(StorageError::UnsupportedCompression {
            layer: layer.to_string(),
            format: "xz",
        })
    } else if is_bzip2(head) {
        Err(StorageError::UnsupportedCompression {
            layer: layer.to_string(),
            format: "bzip2",
        })
    } else {
        Ok((Box::new(whole), Compression::None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn roundtrip(data: &[u8]) -> (Vec<u8>, Compression) {
        let (mut r, c) = decoder(data, "test").unwrap();
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        (out, c)
    }

    #[test]
    fn detects_each_format() {
        let payload = b"hello layer".repeat(100);
        assert_eq!(roundtrip(&payload), (payload.clone(), Compression::None));

        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&payload).unwrap();
        assert_eq!(
            roundtrip(&gz.finish().unwrap()),
            (payload.clone(), Compression::Gzip)
        );

        let zs = zstd::encode_all(&payload[..], 3).unwrap();
        assert_eq!(roundtrip(&zs), (payload.clone(), Compression::Zstd));

        assert_eq!(roundtrip(b"ab"), (b"ab".to_vec(), Compression::None));
        assert_eq!(
            roundtrip(b"BZh-not-bzip2"),
            (b"BZh-not-bzip2".to_vec(), Compression::None)
        );
        assert!(decoder(&b"BZh91AY&SYxxxx"[..], "l").is_err());
        assert!(matches!(
            decoder(&XZ.repeat(2)[..], "l").err(),
            Some(StorageError::UnsupportedCompression { format: "xz", .. })
        ));
    }
}

//! `--mount type=bind|volume|tmpfs,source=…,target=…,…`: Docker's CSV syntax (its
//! `MountOpt`), then the checks Docker's daemon makes on a `Mount`.

use std::path::Path;

use engine::containers::config::{BindOptions, MountSpec, TmpfsOptions, VolumeOptions};

use super::error::FlagError;
use super::mounts::{normalize, valid_mode};
use super::units::ram_in_bytes;

const FLAG: &str = "--mount";

/// Parses one `--mount` value; `cwd` resolves `source=./x`.
pub fn parse_mount(value: &str, cwd: &Path) -> Result<MountSpec, FlagError> {
    let m = parse_csv_mount(value, cwd).map_err(|e| FlagError::value(FLAG, value, e))?;
    validate(&m).map_err(FlagError::daemon)?;
    Ok(m)
}

fn parse_csv_mount(value: &str, cwd: &Path) -> Result<MountSpec, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("value is empty".into());
    }
    let mut m = MountSpec {
        kind: "volume".into(),
        ..MountSpec::default()
    };
    for field in csv_fields(value)? {
        let (key, val, has_value) = match field.split_once('=') {
            Some((k, v)) => (k, v, true),
            None => (field.as_str(), "", false),
        };
        let trimmed = key.trim();
        if trimmed != key {
            return Err(format!(
                "invalid option '{trimmed}' in '{field}': option should not have whitespace"
            ));
        }
        if has_value {
            let v = val.trim();
            if v.is_empty() {
                return Err(format!("invalid value for '{key}': value is empty"));
            }
            if v != val {
                return Err(format!(
                    "invalid value for '{key}' in '{field}': value should not have whitespace"
                ));
            }
        }
        let key = key.to_lowercase();
        if !has_value
            && !matches!(
                key.as_str(),
                "readonly" | "ro" | "volume-nocopy" | "bind-nonrecursive" | "bind-create-src"
            )
        {
            return Err(format!("invalid field '{field}' must be a key=value pair"));
        }
        match key.as_str() {
            "type" => m.kind = val.to_lowercase(),
            "source" | "src" => {
                m.source = if val.starts_with('.') {
                    normalize(&cwd.join(val))
                } else {
                    val.to_string()
                }
            }
            "target" | "dst" | "destination" => m.target = val.to_string(),
            "readonly" | "ro" => m.read_only = parse_bool(&key, val, has_value)?,
            // A no-op on Linux, as in Docker.
            "consistency" => {}
            "bind-propagation" => bind(&mut m).propagation = val.to_lowercase(),
            "bind-nonrecursive" => {
                return Err(
                    "bind-nonrecursive is deprecated, use bind-recursive=disabled instead".into(),
                )
            }
            "bind-recursive" => match val {
                "enabled" => {
                    bind(&mut m);
                }
                "disabled" | "writable" | "readonly" => {
                    return Err(format!("bind-recursive={val} is not supported by berth"))
                }
                _ => {
                    return Err(format!(
                        "invalid value for {key}: {val} (must be \"enabled\", \"disabled\", \"writable\", or \"readonly\")"
                    ))
                }
            },
            "bind-create-src" => {
                bind(&mut m).create_mountpoint = parse_bool(&key, val, has_value)?
            }
            "volume-nocopy" => volume(&mut m).no_copy = parse_bool(&key, val, has_value)?,
            "volume-label" => {
                if let Some((k, v)) = val.split_once('=').or(Some((val, ""))) {
                    if !k.is_empty() {
                        volume(&mut m).labels.insert(k.into(), v.into());
                    }
                }
            }
            "tmpfs-size" => {
                tmpfs(&mut m).size_bytes = ram_in_bytes(val)
                    .map_err(|_| format!("invalid value for {key}: {val}"))?
            }
            "tmpfs-mode" => {
                tmpfs(&mut m).mode = u32::from_str_radix(val, 8)
                    .map_err(|_| format!("invalid value for {key}: {val}"))?
            }
            "volume-subpath" | "volume-driver" | "volume-opt" | "image-subpath" => {
                return Err(format!("option '{key}' is not supported by berth"))
            }
            _ => return Err(format!("unknown option '{key}' in '{field}'")),
        }
    }
    exclusive(&m)?;
    Ok(m)
}

fn bind(m: &mut MountSpec) -> &mut BindOptions {
    m.bind_options.get_or_insert_with(BindOptions::default)
}
fn volume(m: &mut MountSpec) -> &mut VolumeOptions {
    m.volume_options.get_or_insert_with(VolumeOptions::default)
}
fn tmpfs(m: &mut MountSpec) -> &mut TmpfsOptions {
    m.tmpfs_options.get_or_insert_with(TmpfsOptions::default)
}

fn parse_bool(key: &str, val: &str, has_value: bool) -> Result<bool, String> {
    if !has_value {
        return Ok(true);
    }
    match val {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(format!(
            "invalid value for '{key}': invalid boolean value (\"{val}\"): must be one of \"true\", \"1\", \"false\", or \"0\" (default \"true\")"
        )),
    }
}

fn exclusive(m: &MountSpec) -> Result<(), String> {
    if m.kind.is_empty() {
        return Err("type is required".into());
    }
    let mix = |what: &str| format!("cannot mix '{what}-*' options with mount type '{}'", m.kind);
    if m.kind != "bind" && m.bind_options.is_some() {
        return Err(mix("bind"));
    }
    if m.kind != "volume" && m.volume_options.is_some() {
        return Err(mix("volume"));
    }
    if m.kind != "tmpfs" && m.tmpfs_options.is_some() {
        return Err(mix("tmpfs"));
    }
    Ok(())
}

/// One CSV record as Go's `encoding/csv` reads it: `,`-separated, `"…"` fields with `""`
/// for a quote.
fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.char_indices().peekable();
    loop {
        let mut field = String::new();
        if let Some((_, '"')) = chars.peek() {
            chars.next();
            let mut closed = false;
            while let Some((i, c)) = chars.next() {
                if c == '"' {
                    if let Some((_, '"')) = chars.peek() {
                        chars.next();
                        field.push('"');
                        continue;
                    }
                    match chars.peek() {
                        None | Some((_, ',')) => {
                            closed = true;
                            break;
                        }
                        Some(_) => {
                            return Err(format!(
                                "parse error on line 1, column {}: extraneous or missing \" in quoted-field",
                                i + 2
                            ))
                        }
                    }
                }
                field.push(c);
            }
            if !closed {
                return Err(format!(
                    "parse error on line 1, column {}: extraneous or missing \" in quoted-field",
                    line.len() + 1
                ));
            }
        } else {
            while let Some((i, c)) = chars.peek().copied() {
                if c == ',' {
                    break;
                }
                if c == '"' {
                    return Err(format!(
                        "parse error on line 1, column {}: bare \" in non-quoted-field",
                        i + 1
                    ));
                }
                field.push(c);
                chars.next();
            }
        }
        fields.push(field);
        match chars.next() {
            Some((_, ',')) => continue,
            _ => return Ok(fields),
        }
    }
}

/// The daemon's checks (`validateMountConfigImpl`), except that a bind source exists:
/// that is the engine's to check when it mounts.
fn validate(m: &MountSpec) -> Result<(), String> {
    let err = |why: &str| format!("invalid mount config for type \"{}\": {why}", m.kind);
    if m.target.is_empty() {
        return Err(err("field Target must not be empty"));
    }
    if m.target.trim_end_matches('/').is_empty() {
        return Err(err("invalid specification: destination can't be '/'"));
    }
    if !m.target.starts_with('/') {
        return Err(err(&format!(
            "invalid mount path: '{}' mount path must be absolute",
            m.target
        )));
    }
    match m.kind.as_str() {
        "bind" => {
            if m.source.is_empty() {
                return Err(err("field Source must not be empty"));
            }
            if let Some(b) = &m.bind_options {
                if !b.propagation.is_empty()
                    && (b.propagation.contains(',')
                        || !valid_mode(&b.propagation)
                        || !is_propagation(&b.propagation))
                {
                    return Err(err(&format!("invalid propagation mode: {}", b.propagation)));
                }
            }
            if !m.source.starts_with('/') {
                return Err(err(&format!(
                    "invalid mount path: '{}' mount path must be absolute",
                    m.source
                )));
            }
        }
        "volume" => {
            if m.read_only && m.source.is_empty() {
                return Err(err(
                    "must not set ReadOnly mode when using anonymous volumes",
                ));
            }
        }
        "tmpfs" => {
            if !m.source.is_empty() {
                return Err(err("field Source must not be specified"));
            }
        }
        _ => return Err(err("mount type unknown")),
    }
    Ok(())
}

fn is_propagation(p: &str) -> bool {
    matches!(
        p,
        "private" | "rprivate" | "slave" | "rslave" | "shared" | "rshared"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mount(v: &str) -> Result<MountSpec, String> {
        parse_mount(v, Path::new("/cwd")).map_err(|e| e.to_string())
    }

    #[test]
    fn bind_mount() {
        let m =
            mount("type=bind,source=/src,target=/dst,readonly,bind-propagation=rshared").unwrap();
        assert_eq!(m.kind, "bind");
        assert_eq!(m.source, "/src");
        assert_eq!(m.target, "/dst");
        assert!(m.read_only);
        assert_eq!(m.bind_options.unwrap().propagation, "rshared");
        let m = mount("type=bind,src=./x,dst=/d,ro=false").unwrap();
        assert_eq!(m.source, "/cwd/x");
        assert!(!m.read_only);
    }

    #[test]
    fn volume_and_tmpfs() {
        let m = mount("source=data,target=/data,volume-nocopy").unwrap();
        assert_eq!(m.kind, "volume");
        assert!(m.volume_options.unwrap().no_copy);
        let m = mount("type=tmpfs,destination=/t,tmpfs-size=64m,tmpfs-mode=1770").unwrap();
        let t = m.tmpfs_options.unwrap();
        assert_eq!(t.size_bytes, 64 << 20);
        assert_eq!(t.mode, 0o1770);
        let m = mount("\"type=bind\",\"src=/a,b\",dst=/x").unwrap();
        assert_eq!(m.source, "/a,b");
    }

    #[test]
    fn errors() {
        assert_eq!(
            mount("type=bind,target=/x,foo=bar").unwrap_err(),
            "invalid argument \"type=bind,target=/x,foo=bar\" for \"--mount\" flag: unknown option 'foo' in 'foo=bar'"
        );
        assert_eq!(
            mount("type=bind,target").unwrap_err(),
            "invalid argument \"type=bind,target\" for \"--mount\" flag: invalid field 'target' must be a key=value pair"
        );
        assert_eq!(
            mount("type=volume,target=/x,tmpfs-size=1m").unwrap_err(),
            "invalid argument \"type=volume,target=/x,tmpfs-size=1m\" for \"--mount\" flag: cannot mix 'tmpfs-*' options with mount type 'volume'"
        );
        assert_eq!(
            mount("type=tmpfs,target=/x,tmpfs-size=big").unwrap_err(),
            "invalid argument \"type=tmpfs,target=/x,tmpfs-size=big\" for \"--mount\" flag: invalid value for tmpfs-size: big"
        );
        assert_eq!(
            mount("type=bind,target=/x,ro=maybe").unwrap_err(),
            "invalid argument \"type=bind,target=/x,ro=maybe\" for \"--mount\" flag: invalid value for 'ro': invalid boolean value (\"maybe\"): must be one of \"true\", \"1\", \"false\", or \"0\" (default \"true\")"
        );
        assert_eq!(
            mount("type=bind,target=/x").unwrap_err(),
            "Error response from daemon: invalid mount config for type \"bind\": field Source must not be empty"
        );
        assert_eq!(
            mount("type=bind,source=/s").unwrap_err(),
            "Error response from daemon: invalid mount config for type \"bind\": field Target must not be empty"
        );
        assert_eq!(
            mount("type=volume,target=rel").unwrap_err(),
            "Error response from daemon: invalid mount config for type \"volume\": invalid mount path: 'rel' mount path must be absolute"
        );
        assert_eq!(
            mount("type=foo,target=/x").unwrap_err(),
            "Error response from daemon: invalid mount config for type \"foo\": mount type unknown"
        );
        assert_eq!(
            mount("type=bind,src=/a\"b,dst=/x").unwrap_err(),
            "invalid argument \"type=bind,src=/a\\\"b,dst=/x\" for \"--mount\" flag: parse error on line 1, column 17: bare \" in non-quoted-field"
        );
    }
}

//! The container's process from Docker's `Config` and the image's: moby's `merge` (what
//! `inspect` shows), the args (`Entrypoint` + `Cmd`), the environment
//! (`CreateDaemonEnvironment`) and the working directory.

use image::oci_spec::image::ImageConfiguration;

use super::defaults::DEFAULT_PATH_ENV;
use super::SpecError;
use crate::containers::config::{ContainerConfig, Empty};

fn env_key(e: &str) -> &str {
    e.split_once('=').map_or(e, |(k, _)| k)
}

/// Docker's merge of the user's `Config` over the image's (moby `daemon/commit.go` `merge`
/// and `mergeAndVerifyConfig`):
/// - `User`, `WorkingDir`, `StopSignal`: the user's, else the image's;
/// - `Env`: the user's, then the image's variables the user did not set;
/// - `ExposedPorts`, `Volumes`, `Labels`: union (the user's label wins);
/// - `Entrypoint`/`Cmd`: if the user gave no entrypoint, the image's entrypoint, and the
///   image's `Cmd` unless the user gave one; an entrypoint given by the user (even `""`,
///   which is `Some([])` or `Some([""])` here and means none) drops the image's `Cmd`.
pub fn merge_image_config(user: &ContainerConfig, image: &ImageConfiguration) -> ContainerConfig {
    let mut out = user.clone();
    let Some(img) = image.config() else {
        out.entrypoint = normalize_entrypoint(out.entrypoint);
        return out;
    };
    if out.user.is_empty() {
        out.user = img.user().clone().unwrap_or_default();
    }
    for p in img.exposed_ports().iter().flatten() {
        out.exposed_ports.entry(p.clone()).or_insert(Empty {});
    }
    let image_env = img.env().clone().unwrap_or_default();
    if out.env.is_empty() {
        out.env = image_env;
    } else {
        for e in image_env {
            if !user.env.iter().any(|u| env_key(u) == env_key(&e)) {
                out.env.push(e);
            }
        }
    }
    for (k, v) in img.labels().iter().flatten() {
        out.labels.entry(k.clone()).or_insert_with(|| v.clone());
    }
    if user.entrypoint.is_none() {
        if user.cmd.as_deref().unwrap_or_default().is_empty() {
            out.cmd = img.cmd().clone();
        }
        out.entrypoint = img.entrypoint().clone();
    }
    if out.working_dir.is_empty() {
        out.working_dir = img.working_dir().clone().unwrap_or_default();
    }
    for v in img.volumes().iter().flatten() {
        out.volumes.entry(v.clone()).or_insert(Empty {});
    }
    if out.stop_signal.as_deref().unwrap_or_default().is_empty() {
        out.stop_signal = img.stop_signal().clone().filter(|s| !s.is_empty());
    }
    out.entrypoint = normalize_entrypoint(out.entrypoint);
    out
}

/// `--entrypoint ""` reaches the engine as `[""]` from Docker clients: the same as `[]`.
fn normalize_entrypoint(e: Option<Vec<String>>) -> Option<Vec<String>> {
    match e {
        Some(v) if v.len() == 1 && v[0].is_empty() => Some(Vec::new()),
        other => other,
    }
}

/// `Entrypoint + Cmd` of a merged config; Docker's "no command specified" when empty.
pub fn args(merged: &ContainerConfig) -> Result<Vec<String>, SpecError> {
    let mut args: Vec<String> = merged.entrypoint.clone().unwrap_or_default();
    args.extend(merged.cmd.clone().unwrap_or_default());
    if args.is_empty() {
        return Err(SpecError::NoCommand);
    }
    Ok(args)
}

/// Docker's `ReplaceOrAppendEnvValues`: a `KEY=v` replaces `KEY` in place or is appended; a
/// bare `KEY` unsets it.
pub fn replace_or_append(mut defaults: Vec<String>, overrides: &[String]) -> Vec<String> {
    for o in overrides {
        match o.split_once('=') {
            None => defaults.retain(|d| env_key(d) != o),
            Some((k, _)) => match defaults.iter_mut().find(|d| env_key(d) == k) {
                Some(slot) => *slot = o.clone(),
                None => defaults.push(o.clone()),
            },
        }
    }
    defaults
}

/// The process environment: `PATH` (Docker's default unless the config sets one),
/// `HOSTNAME`, `TERM=xterm` with a tty, then the merged `Env` over them.
pub fn environment(merged_env: &[String], hostname: &str, tty: bool) -> Vec<String> {
    let mut base = vec![
        format!("PATH={DEFAULT_PATH_ENV}"),
        format!("HOSTNAME={hostname}"),
    ];
    if tty {
        base.push("TERM=xterm".into());
    }
    replace_or_append(base, merged_env)
}

/// `WorkingDir` or `/`.
pub fn cwd(merged: &ContainerConfig) -> String {
    if merged.working_dir.is_empty() {
        "/".into()
    } else {
        merged.working_dir.clone()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use image::oci_spec::image::{ConfigBuilder, ImageConfigurationBuilder};

    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn image() -> ImageConfiguration {
        let cfg = ConfigBuilder::default()
            .entrypoint(s(&["/bin/sh", "-c"]))
            .cmd(s(&["x"]))
            .env(s(&["PATH=/img/bin", "A=image", "B=image"]))
            .working_dir("/srv")
            .user("www")
            .exposed_ports(s(&["80/tcp"]))
            .volumes(s(&["/data"]))
            .stop_signal("SIGQUIT")
            .labels(HashMap::from([
                ("l".to_string(), "image".to_string()),
                ("m".to_string(), "image".to_string()),
            ]))
            .build()
            .unwrap();
        ImageConfigurationBuilder::default()
            .config(cfg)
            .build()
            .unwrap()
    }

    #[test]
    fn image_entrypoint_and_cmd() {
        let m = merge_image_config(&ContainerConfig::default(), &image());
        assert_eq!(args(&m).unwrap(), s(&["/bin/sh", "-c", "x"]));
        assert_eq!((m.user.as_str(), m.working_dir.as_str()), ("www", "/srv"));
        assert_eq!(m.stop_signal.as_deref(), Some("SIGQUIT"));
        assert!(m.exposed_ports.contains_key("80/tcp") && m.volumes.contains_key("/data"));
    }

    #[test]
    fn user_cmd_replaces_cmd() {
        let u = ContainerConfig {
            cmd: Some(s(&["echo hi"])),
            ..Default::default()
        };
        assert_eq!(
            args(&merge_image_config(&u, &image())).unwrap(),
            s(&["/bin/sh", "-c", "echo hi"])
        );
    }

    #[test]
    fn entrypoint_given_resets_cmd() {
        let u = ContainerConfig {
            entrypoint: Some(s(&["/bin/date"])),
            ..Default::default()
        };
        let m = merge_image_config(&u, &image());
        assert_eq!(args(&m).unwrap(), s(&["/bin/date"]));
        let u = ContainerConfig {
            entrypoint: Some(s(&["/bin/echo"])),
            cmd: Some(s(&["a"])),
            ..Default::default()
        };
        assert_eq!(
            args(&merge_image_config(&u, &image())).unwrap(),
            s(&["/bin/echo", "a"])
        );
    }

    #[test]
    fn empty_entrypoint_means_none() {
        for e in [vec![], s(&[""])] {
            let u = ContainerConfig {
                entrypoint: Some(e.clone()),
                cmd: Some(s(&["ls"])),
                ..Default::default()
            };
            let m = merge_image_config(&u, &image());
            assert_eq!(m.entrypoint, Some(vec![]));
            assert_eq!(args(&m).unwrap(), s(&["ls"]));
            let u = ContainerConfig {
                entrypoint: Some(e),
                ..Default::default()
            };
            let e = args(&merge_image_config(&u, &image())).unwrap_err();
            assert_eq!(e.to_string(), "no command specified");
        }
    }

    #[test]
    fn merge_is_idempotent() {
        let u = ContainerConfig {
            env: s(&["A=user"]),
            ..Default::default()
        };
        let once = merge_image_config(&u, &image());
        assert_eq!(merge_image_config(&once, &image()), once);
    }

    #[test]
    fn env_merge_and_process_env() {
        let u = ContainerConfig {
            env: s(&["B=user", "C=user"]),
            labels: [("l".to_string(), "user".to_string())].into(),
            ..Default::default()
        };
        let m = merge_image_config(&u, &image());
        assert_eq!(m.env, s(&["B=user", "C=user", "PATH=/img/bin", "A=image"]));
        assert_eq!(m.labels["l"], "user");
        assert_eq!(m.labels["m"], "image");
        let env = environment(&m.env, "abc", true);
        assert_eq!(
            env,
            s(&[
                "PATH=/img/bin",
                "HOSTNAME=abc",
                "TERM=xterm",
                "B=user",
                "C=user",
                "A=image"
            ])
        );
        let env = environment(&s(&["X=1", "HOSTNAME"]), "abc", false);
        assert_eq!(env, s(&[&format!("PATH={DEFAULT_PATH_ENV}"), "X=1"]));
    }

    #[test]
    fn no_image_config() {
        let img = ImageConfigurationBuilder::default().build().unwrap();
        let m = merge_image_config(&ContainerConfig::default(), &img);
        assert!(matches!(args(&m), Err(SpecError::NoCommand)));
        assert_eq!(cwd(&m), "/");
    }
}

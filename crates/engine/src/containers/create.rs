//! `create`: everything a container needs before it can start, made in an order that a
//! crash at any point leaves either nothing the database knows of (the orphans `system
//! check` removes: a directory, a snapshot, an anonymous volume) or a complete container.
//! The database row is written last: it is the commit point.

use std::path::{Path, PathBuf};

use super::config::CreateRequest;
use super::names;
use super::spec::{self, EtcFiles, MountSource, NamespacePaths, NsMode, PlannedKind, PlannedMount};
use crate::db::{ContainerRecord, ContainerVolume, StateRecord, VolumeRecord};
use crate::error::{EngineError, Result};
use crate::lock::{Held, Lock};
use crate::networks::config::NetConfig;
use crate::volumes::VolumeCreate;
use crate::Engine;

/// What `create` made.
#[derive(Debug, Clone)]
pub struct Created {
    pub id: String,
    pub name: String,
    /// Docker's create warnings (printed by the CLI on stderr).
    pub warnings: Vec<String>,
}

/// Undoes a half-made container on drop unless disarmed.
struct Undo<'a> {
    engine: &'a Engine,
    id: String,
    dir: Option<PathBuf>,
    snapshot: bool,
    volumes: Vec<String>,
}

impl Undo<'_> {
    /// Keep what was made: a later step owns its undoing now.
    fn disarm(mut self) {
        self.snapshot = false;
        self.dir = None;
        self.volumes.clear();
    }
}

impl Drop for Undo<'_> {
    fn drop(&mut self) {
        if self.snapshot {
            if let Ok(s) = self.engine.snapshotter() {
                let _ = s.remove(&self.id);
            }
        }
        if let Some(d) = self.dir.take() {
            let _ = std::fs::remove_dir_all(d);
        }
        for v in &self.volumes {
            let _ = std::fs::remove_dir_all(self.engine.root().volumes_dir().join(v));
        }
    }
}

fn io<'a>(op: &'static str, p: &'a Path) -> impl FnOnce(std::io::Error) -> EngineError + 'a {
    move |e| EngineError::io(op, p, e)
}

impl Engine {
    /// Removes what a failed `create` made after the snapshot (the snapshot, the
    /// directory, the anonymous volumes' directories) and hands back the error.
    fn undo_create(
        &mut self,
        id: &str,
        dir: &Path,
        anonymous: &[String],
        e: EngineError,
    ) -> EngineError {
        drop(Undo {
            engine: self,
            id: id.to_string(),
            dir: Some(dir.to_path_buf()),
            snapshot: true,
            volumes: anonymous.to_vec(),
        });
        e
    }

    /// A name for a new container: the one asked for (checked), or a free random one.
    fn pick_name(&self, asked: Option<&str>) -> Result<String> {
        if let Some(n) = asked {
            let n = n.strip_prefix('/').unwrap_or(n);
            if !names::valid_name(n) {
                return Err(EngineError::InvalidParameter(format!(
                    "Invalid container name ({n}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
                )));
            }
            if let Some(other) = self.db().container(n)?.filter(|c| c.name == n) {
                return Err(EngineError::NameInUse {
                    name: n.to_string(),
                    id: other.id,
                });
            }
            return Ok(n.to_string());
        }
        for retry in 0..10 {
            let n = names::random_name(retry);
            if self.db().container(&n)?.is_none() {
                return Ok(n);
            }
        }
        Ok(names::random_name(10))
    }

    /// How `--network` maps onto namespaces. The default is the `bridge` network, as
    /// Docker's; with daemon.json `"bridge": "none"` it is a loopback only (Docker's
    /// `NetworkDisabled`, recorded here as `none`).
    fn network_mode(&mut self, mode: &str) -> Result<(String, NsMode)> {
        let mode = match mode {
            "" | "default" | "bridge" if NetConfig::load()?.bridge_disabled() => "none",
            "" | "default" => "bridge",
            m => m,
        };
        match mode {
            "none" => Ok(("none".into(), NsMode::Private)),
            "host" => Ok(("host".into(), NsMode::Host)),
            m if m.starts_with("container:") => {
                let other = self.find_container(&m["container:".len()..])?;
                let pid = self.running_pid(&other)?;
                Ok((
                    format!("container:{}", other.id),
                    NsMode::Join(PathBuf::from(format!("/proc/{pid}/ns/net"))),
                ))
            }
            // A bridge network: the engine makes the namespace at start (networks::netns).
            other => {
                let n = self.network(other)?;
                if n.driver != "bridge" {
                    return Err(EngineError::InvalidParameter(format!(
                        "network {other} not found"
                    )));
                }
                Ok((other.to_string(), NsMode::Join(PathBuf::new())))
            }
        }
    }

    /// `host`, `""` or `container:NAME` for pid/ipc/uts/userns.
    fn ns_mode(&self, what: &str, mode: &str, kind: &str) -> Result<NsMode> {
        match mode {
            "" | "private" | "shareable" => Ok(NsMode::Private),
            "host" => Ok(NsMode::Host),
            m if m.starts_with("container:") => {
                let other = self.find_container(&m["container:".len()..])?;
                let pid = self.running_pid(&other)?;
                Ok(NsMode::Join(PathBuf::from(format!(
                    "/proc/{pid}/ns/{kind}"
                ))))
            }
            other => Err(EngineError::InvalidParameter(format!(
                "invalid {what} mode: {other}"
            ))),
        }
    }

    /// The pid of a running container, or Docker's conflict error.
    pub(crate) fn running_pid(&self, c: &ContainerRecord) -> Result<i32> {
        let pid = super::state::monitor_state(self, &c.id)
            .filter(|m| super::state::alive(m.pid))
            .map(|m| m.pid)
            .unwrap_or(0);
        if pid <= 0 {
            return Err(EngineError::ContainerConflict(format!(
                "cannot join container {}: container {} is not running",
                names::short(&c.id),
                c.id
            )));
        }
        Ok(pid)
    }

    /// Creates a container from a local image (the CLI pulls a missing one first).
    pub fn container_create(&mut self, req: CreateRequest) -> Result<Created> {
        let _lock = Held::shared(self.root(), Lock::Containers)?;
        let image_id = self.images().resolve(&req.config.image)?;
        let image_cfg = self.images().config(&image_id)?;
        let mut config = spec::merge_image_config(&req.config, &image_cfg);
        let mut host = req.host.clone();
        let (net, net_ns) = self.network_mode(&host.network_mode)?;
        host.network_mode = net;
        self.check_endpoint_request(&host.network_mode, &req.endpoint)?;
        if host.log_config.kind.is_empty() {
            host.log_config.kind = "json-file".into();
        }
        let namespaces = NamespacePaths {
            network: net_ns,
            pid: self.ns_mode("pid", &host.pid_mode, "pid")?,
            ipc: self.ns_mode("ipc", &host.ipc_mode, "ipc")?,
            uts: self.ns_mode("uts", &host.u_t_s_mode, "uts")?,
            user: self.ns_mode("userns", &host.userns_mode, "user")?,
        };
        let name = self.pick_name(req.name.as_deref())?;
        let id = names::new_id();
        let namespaces = match namespaces.network {
            NsMode::Join(p) if p.as_os_str().is_empty() => NamespacePaths {
                network: NsMode::Join(crate::networks::netns::netns_path(self.root(), &id)),
                ..namespaces
            },
            _ => namespaces,
        };
        if config.hostname.is_empty() {
            config.hostname = match namespaces.uts {
                NsMode::Host => nix_hostname(),
                _ => spec::default_hostname(&id),
            };
        }
        let plan = spec::plan_mounts(&config, &host)?;
        let layer_dirs = self.images().layer_dirs(&image_id)?;

        let dir = self.root().container_dir(&id);
        let mut undo = Undo {
            engine: self,
            id: id.clone(),
            dir: Some(dir.clone()),
            snapshot: false,
            volumes: Vec::new(),
        };
        let rootfs = dir.join("rootfs");
        std::fs::create_dir_all(&rootfs).map_err(io("create container directory", &rootfs))?;
        let snapshotter = self.snapshotter()?;
        undo.snapshot = true;
        let mut mounts =
            snapshotter
                .prepare(&id, &layer_dirs)
                .map_err(|e| EngineError::Storage {
                    layer: format!("container {id}"),
                    source: e,
                })?;
        undo.disarm();
        // `--rm`: the writable layer is thrown away when the container exits, so overlayfs
        // need not sync it, neither on the container's fsyncs nor at the unmount when the
        // container's mount namespace dies (a syncfs of the whole host filesystem, on the
        // critical path of `run --rm`). podman mounts its `--rm` containers so too.
        if host.auto_remove {
            if let Some(m) = mounts.first_mut().filter(|m| m.fs_type == "overlay") {
                m.options.push("volatile".into());
            }
        }
        // Volumes: named ones are created on first use and outlive the container.
        let mut planned = Vec::with_capacity(plan.len());
        let mut volume_rows = Vec::new();
        let mut new_volumes = Vec::new();
        let mut made_anonymous = Vec::new();
        let result = (|| -> Result<()> {
            for m in plan {
                let (kind, source, volume) = match m.source {
                    MountSource::Bind(p) => {
                        if !p.exists() {
                            // `-v /host:/ctr` makes a missing host directory, as Docker does;
                            // `--mount type=bind` refuses it.
                            if !m.create_host_path {
                                return Err(spec::SpecError::MountConfig {
                                    kind: "bind".into(),
                                    reason: format!(
                                        "bind source path does not exist: {}",
                                        p.display()
                                    ),
                                }
                                .into());
                            }
                            std::fs::create_dir_all(&p).map_err(io("create bind source", &p))?;
                        }
                        (PlannedKind::Bind, p, None)
                    }
                    MountSource::Volume(Some(name)) => {
                        // A named volume is made on first use and outlives the container.
                        let v = self.volume_create(VolumeCreate {
                            name: Some(name),
                            ..Default::default()
                        })?;
                        volume_rows.push(ContainerVolume {
                            volume: v.name.clone(),
                            destination: m.destination.clone(),
                        });
                        copy_up(&layer_dirs, &m.destination, &m.options, &v.mountpoint)?;
                        (PlannedKind::Bind, v.mountpoint, Some(v.name))
                    }
                    MountSource::Volume(None) => {
                        // An anonymous volume: its directory now, its row with the
                        // container's (a crash before that leaves only a directory that
                        // `system check` knows to be an orphan).
                        let name = names::new_id();
                        let data = self.volume_data(&name);
                        std::fs::create_dir_all(&data)
                            .map_err(io("create volume directory", &data))?;
                        made_anonymous.push(name.clone());
                        new_volumes.push(VolumeRecord {
                            name: name.clone(),
                            driver: "local".into(),
                            created: super::now_rfc3339(),
                            labels: Default::default(),
                            options: Default::default(),
                            anonymous: true,
                        });
                        volume_rows.push(ContainerVolume {
                            volume: name.clone(),
                            destination: m.destination.clone(),
                        });
                        copy_up(&layer_dirs, &m.destination, &m.options, &data)?;
                        (PlannedKind::Bind, data, Some(name))
                    }
                    MountSource::Tmpfs => (PlannedKind::Tmpfs, PathBuf::from("tmpfs"), None),
                };
                planned.push(PlannedMount {
                    kind,
                    source,
                    destination: m.destination,
                    read_only: m.read_only,
                    options: m.options,
                    volume,
                });
            }
            Ok(())
        })();
        if let Err(e) = result {
            return Err(self.undo_create(&id, &dir, &made_anonymous, e));
        }
        let built = (|| -> Result<()> {
            let files = EtcFiles {
                hostname: dir.join("hostname"),
                hosts: dir.join("hosts"),
                resolv_conf: dir.join("resolv.conf"),
            };
            let hostname = if config.domainname.is_empty() {
                config.hostname.clone()
            } else {
                format!("{}.{}", config.hostname, config.domainname)
            };
            write(&files.hostname, &format!("{}\n", config.hostname))?;
            write(
                &files.hosts,
                &spec::hosts_file(&hostname, &host.extra_hosts),
            )?;
            write(
                &files.resolv_conf,
                &spec::resolv_conf(
                    &spec::host_resolv_conf(),
                    &host.dns,
                    &host.dns_search,
                    &host.dns_options,
                ),
            )?;
            let oci = spec::build(&spec::SpecInput {
                id: &id,
                config: &config,
                host: &host,
                image: &image_cfg,
                rootfs: &rootfs,
                rootfs_mount: mounts.first(),
                layer_dirs: &layer_dirs,
                files: &files,
                mounts: &planned,
                namespaces: &namespaces,
                cgroups_path: cgroups_path(&host.cgroup_parent, &id),
            })?;
            // Compact, as containerd writes it: Docker's seccomp profile makes it ~13 kB,
            // parsed again by the runtime on every start.
            let json = serde_json::to_vec(&oci).map_err(|e| EngineError::Container {
                id: id.clone(),
                reason: format!("serialise config.json: {e}"),
            })?;
            write_bytes(&dir.join("config.json"), &json)
        })();
        if let Err(e) = built {
            return Err(self.undo_create(&id, &dir, &made_anonymous, e));
        }
        let rec = ContainerRecord {
            id: id.clone(),
            name: name.clone(),
            image_id,
            created: super::now_rfc3339(),
            config,
            host_config: host,
            state: StateRecord {
                status: "created".into(),
                ..Default::default()
            },
        };
        if let Err(e) = self
            .db_mut()
            .insert_container(&rec, &new_volumes, &volume_rows)
        {
            return Err(self.undo_create(&id, &dir, &made_anonymous, e));
        }
        if let Err(e) = self.record_endpoint_request(&id, &req.endpoint) {
            let _ = self.db_mut().delete_container(&id);
            return Err(self.undo_create(&id, &dir, &made_anonymous, e));
        }
        for v in &new_volumes {
            self.emit(crate::events::event(
                "volume",
                "create",
                &v.name,
                &[("driver", "local")],
            ));
        }
        self.emit_container(&rec, "create", &[]);
        Ok(Created {
            id,
            name,
            warnings: Vec::new(),
        })
    }
}

/// Docker's cgroup path: `/docker/<id>` under `--cgroup-parent` or the default parent.
fn cgroups_path(parent: &str, id: &str) -> String {
    let parent = if parent.is_empty() { "/berth" } else { parent };
    format!("{}/{id}", parent.trim_end_matches('/'))
}

/// Docker's copy-up: a volume that is still empty gets what the image has at its
/// destination (not with `nocopy`).
fn copy_up(layers: &[PathBuf], destination: &str, options: &[String], data: &Path) -> Result<()> {
    if options.iter().any(|o| o == "nocopy") {
        return Ok(());
    }
    let empty = std::fs::read_dir(data)
        .map_err(io("read volume directory", data))?
        .next()
        .is_none();
    if !empty {
        return Ok(());
    }
    let rel = Path::new(destination.trim_start_matches('/'));
    storage::copy_up(layers, rel, data).map_err(|e| EngineError::Storage {
        layer: format!("volume copy-up of {destination}"),
        source: e,
    })?;
    Ok(())
}

fn nix_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn write(p: &Path, s: &str) -> Result<()> {
    write_bytes(p, s.as_bytes())
}

fn write_bytes(p: &Path, b: &[u8]) -> Result<()> {
    std::fs::write(p, b).map_err(io("write", p))
}

//! `berth network create|ls|inspect|rm|prune|connect|disconnect` (Docker's flags, columns and messages).

use std::collections::BTreeMap;

use super::{daemon, Failed};
use crate::format::{table, template};
use crate::Global;

#[derive(Debug, clap::Subcommand)]
#[command(defer = true)]
pub enum Cmd {
    /// Connect a container to a network.
    Connect(ConnectArgs),
    /// Create a network.
    Create(CreateArgs),
    /// Disconnect a container from a network.
    Disconnect(DisconnectArgs),
    /// List networks.
    #[command(visible_alias = "list")]
    Ls(LsArgs),
    /// Display detailed information on one or more networks.
    Inspect(InspectArgs),
    /// Remove one or more networks.
    #[command(visible_alias = "remove")]
    Rm(RmArgs),
    /// Remove all unused networks.
    Prune(PruneArgs),
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// Driver to manage the Network.
    #[arg(short, long, default_value = "bridge")]
    pub driver: String,
    /// Subnet in CIDR format that represents a network segment.
    #[arg(long)]
    pub subnet: Vec<String>,
    /// IPv4 or IPv6 Gateway for the master subnet.
    #[arg(long)]
    pub gateway: Vec<String>,
    /// Allocate container ip from a sub-range.
    #[arg(long = "ip-range")]
    pub ip_range: Vec<String>,
    /// Restrict external access to the network.
    #[arg(long)]
    pub internal: bool,
    /// Set metadata on a network.
    #[arg(long)]
    pub label: Vec<String>,
    /// Set driver specific options.
    #[arg(short, long)]
    pub opt: Vec<String>,
    pub name: String,
}

#[derive(Debug, clap::Args)]
pub struct ConnectArgs {
    /// Add network-scoped alias for the container.
    #[arg(long)]
    pub alias: Vec<String>,
    /// IPv4 address (e.g., "172.30.100.104").
    #[arg(long)]
    pub ip: Option<std::net::Ipv4Addr>,
    pub network: String,
    pub container: String,
}

#[derive(Debug, clap::Args)]
pub struct DisconnectArgs {
    /// Force the container to disconnect from a network.
    #[arg(short, long)]
    pub force: bool,
    pub network: String,
    pub container: String,
}

#[derive(Debug, clap::Args)]
pub struct LsArgs {
    /// Only display network IDs.
    #[arg(short, long)]
    pub quiet: bool,
    /// Do not truncate the output.
    #[arg(long)]
    pub no_trunc: bool,
    /// Provide filter values (e.g. "driver=bridge").
    #[arg(short, long)]
    pub filter: Vec<String>,
    /// Format output using a custom template.
    #[arg(long)]
    pub format: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    #[arg(short, long)]
    pub format: Option<String>,
    #[arg(required = true)]
    pub networks: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct RmArgs {
    /// Do not error if the network does not exist.
    #[arg(short, long)]
    pub force: bool,
    #[arg(required = true)]
    pub networks: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct PruneArgs {
    /// Do not prompt for confirmation.
    #[arg(short, long)]
    pub force: bool,
    /// Provide filter values.
    #[arg(long)]
    pub filter: Vec<String>,
}

fn kv(list: &[String]) -> BTreeMap<String, String> {
    list.iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (s.clone(), String::new()),
        })
        .collect()
}

fn one(flag: &str, v: &[String]) -> anyhow::Result<Option<String>> {
    match v {
        [] => Ok(None),
        [x] => Ok(Some(x.clone())),
        _ => anyhow::bail!("Error response from daemon: berth supports one {flag} per network"),
    }
}

pub fn run(g: &Global, c: Cmd) -> anyhow::Result<()> {
    let mut engine = g.engine().map_err(daemon)?;
    match c {
        Cmd::Connect(a) => engine
            .network_connect(&a.network, &a.container, a.ip, a.alias)
            .map_err(daemon)?,
        Cmd::Disconnect(a) => engine
            .network_disconnect(&a.network, &a.container)
            .map_err(daemon)?,
        Cmd::Create(a) => {
            let n = engine
                .network_create(engine::networks::NetworkCreate {
                    name: a.name,
                    driver: a.driver,
                    subnet: one("--subnet", &a.subnet)?,
                    gateway: one("--gateway", &a.gateway)?,
                    ip_range: one("--ip-range", &a.ip_range)?,
                    internal: a.internal,
                    labels: kv(&a.label),
                    options: kv(&a.opt),
                })
                .map_err(daemon)?;
            println!("{}", n.id);
        }
        Cmd::Ls(a) => {
            let mut nets = engine.networks().map_err(daemon)?;
            for f in &a.filter {
                let (k, val) = f.split_once('=').unwrap_or((f.as_str(), ""));
                match k {
                    "name" => nets.retain(|n| n.name.contains(val)),
                    "driver" => nets.retain(|n| n.driver == val),
                    "id" => nets.retain(|n| n.id.starts_with(val)),
                    "label" => nets.retain(|n| match val.split_once('=') {
                        Some((lk, lv)) => n.labels.get(lk).is_some_and(|x| x == lv),
                        None => n.labels.contains_key(val),
                    }),
                    "type" => nets.retain(|n| {
                        let builtin = engine::networks::ops::PREDEFINED.contains(&n.name.as_str());
                        (val == "builtin") == builtin
                    }),
                    _ => anyhow::bail!("Error response from daemon: invalid filter '{k}'"),
                }
            }
            let id = |n: &engine::db::NetworkRecord| {
                if a.no_trunc {
                    n.id.clone()
                } else {
                    n.id.chars().take(12).collect()
                }
            };
            if a.quiet {
                for n in &nets {
                    println!("{}", id(n));
                }
                return Ok(());
            }
            let field = |n: &engine::db::NetworkRecord, f: &str| -> Option<String> {
                Some(match f {
                    "ID" => id(n),
                    "Name" => n.name.clone(),
                    "Driver" => n.driver.clone(),
                    "Scope" => "local".into(),
                    "IPv6" => "false".into(),
                    "Internal" => n.internal.to_string(),
                    "CreatedAt" => n.created.clone(),
                    "Labels" => n
                        .labels
                        .iter()
                        .map(|(k, x)| format!("{k}={x}"))
                        .collect::<Vec<_>>()
                        .join(","),
                    _ => return None,
                })
            };
            match a.format.as_deref() {
                Some(t) if t != "table" && !t.starts_with("table ") => {
                    for n in &nets {
                        println!("{}", template(t, &|f| field(n, f))?);
                    }
                }
                _ => {
                    let mut rows = vec![vec![
                        "NETWORK ID".to_string(),
                        "NAME".to_string(),
                        "DRIVER".to_string(),
                        "SCOPE".to_string(),
                    ]];
                    for n in &nets {
                        rows.push(vec![
                            id(n),
                            n.name.clone(),
                            n.driver.clone(),
                            "local".into(),
                        ]);
                    }
                    print!("{}", table(&rows));
                }
            }
        }
        Cmd::Inspect(a) => {
            let tpl = super::inspect::check_format(a.format.as_deref())?;
            let mut found = Vec::new();
            let mut errors = Vec::new();
            for n in &a.networks {
                match engine.network(n) {
                    Ok(rec) => found.push(engine.network_inspect_json(&rec)),
                    Err(e) => errors.push(format!("Error response from daemon: {e}")),
                }
            }
            super::inspect::report(&found, tpl.as_ref(), errors)?;
        }
        Cmd::Rm(a) => {
            let mut failed = false;
            for n in &a.networks {
                match engine.network_remove(n) {
                    Ok(_) => println!("{n}"),
                    Err(engine::EngineError::NoSuchNetwork(_)) if a.force => {}
                    Err(e) => {
                        eprintln!("Error response from daemon: {e}");
                        failed = true;
                    }
                }
            }
            if failed {
                return Err(Failed.into());
            }
        }
        Cmd::Prune(a) => {
            if !a.filter.is_empty() {
                anyhow::bail!("berth network prune: --filter is not supported yet");
            }
            let warning =
                "WARNING! This will remove all custom networks not used by at least one container.";
            if !super::confirm(warning, a.force)? {
                return Ok(());
            }
            let gone = engine.network_prune().map_err(daemon)?;
            if !gone.is_empty() {
                println!("Deleted Networks:");
                for n in &gone {
                    println!("{n}");
                }
                println!();
            }
        }
    }
    Ok(())
}

//! `kubectl podnet max-pods`: the VPC CNI's max-pods figure for an instance type.

use std::io::IsTerminal;

use clap::Args;
use comfy_table::{Table, presets};
use serde_json::json;

use super::flags::{GlobalArgs, Output};
use super::out::{self, stdout_write};
use crate::audit::maxpods::{self, InstanceLimits, Mode};
use crate::error::{Error, Result};

#[derive(Debug, Args)]
#[command(
    long_about = "Print the max-pods figure of the Amazon VPC CNI for an instance type, \
as AWS's max-pods calculator computes it.\n\n\
Secondary IPs: ENIs × (IPv4 per ENI − 1) + 2. Custom networking: one ENI fewer (the primary ENI stays in the \
node's subnet). Prefix delegation (Nitro, CNI ≥ 1.9): 16 addresses per slot, capped at 110 pods below 30 vCPUs, \
else 250.\n\nExample:\n  kubectl podnet max-pods --instance-type m5.large --custom-networking"
)]
pub struct MaxPodsArgs {
    /// EC2 instance type, e.g. m5.large
    #[arg(long, value_name = "TYPE")]
    pub instance_type: String,
    /// VPC CNI version (prefix delegation needs 1.9.0 or newer)
    #[arg(long, value_name = "VERSION")]
    pub cni_version: Option<String>,
    /// Pods get IPs from ENIConfig subnets (AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true)
    #[arg(long)]
    pub custom_networking: bool,
    /// /28 prefixes instead of single addresses (ENABLE_PREFIX_DELEGATION=true)
    #[arg(long)]
    pub prefix_delegation: bool,
    /// An extra ceiling, e.g. the node group's configured max pods
    #[arg(long, value_name = "N")]
    pub max_pods_cap: Option<u64>,
    /// Ask EC2 DescribeInstanceTypes in this region instead of the embedded table
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// AWS profile for --region
    #[arg(long, value_name = "PROFILE", requires = "region")]
    pub profile: Option<String>,
}

pub fn run(a: MaxPodsArgs, g: &GlobalArgs) -> Result<u8> {
    let prefix_allowed = match a.cni_version.as_deref() {
        None => true,
        Some(v) => {
            let parsed = maxpods::parse_cni_version(v).ok_or_else(|| {
                Error::flag_help(
                    "--cni-version",
                    format!("`{v}` is not a version"),
                    "use e.g. 1.19.2 or v1.19.2-eksbuild.1",
                )
            })?;
            parsed >= semver::Version::new(1, 9, 0)
        }
    };
    if a.prefix_delegation && !prefix_allowed {
        return Err(Error::flag_help(
            "--prefix-delegation",
            format!(
                "VPC CNI {} does not support prefix delegation",
                a.cni_version.as_deref().unwrap_or("")
            ),
            "prefix delegation needs VPC CNI 1.9.0 or newer; upgrade the aws-node add-on",
        ));
    }
    let (limits, source) = match &a.region {
        Some(region) => {
            let rt = out::runtime()?;
            let l = rt.block_on(crate::aws::instance_limits(
                region,
                a.profile.as_deref(),
                &a.instance_type,
            ))?;
            (l, "ec2:DescribeInstanceTypes")
        }
        None => (maxpods::lookup(&a.instance_type)?, "embedded"),
    };
    let chosen = Mode {
        custom_networking: a.custom_networking,
        prefix_delegation: a.prefix_delegation,
    };
    let max = maxpods::max_pods(&limits, chosen, a.max_pods_cap)?;
    let mut variants = Vec::new();
    for prefix in [false, true] {
        if prefix && (!limits.nitro || !prefix_allowed) {
            continue;
        }
        for custom in [false, true] {
            let m = Mode {
                custom_networking: custom,
                prefix_delegation: prefix,
            };
            variants.push((
                m,
                maxpods::max_pods(&limits, m, a.max_pods_cap)?,
                maxpods::formula(&limits, m),
            ));
        }
    }
    let text = match g.output {
        Some(Output::Json) => {
            let v = json!({
                "schemaVersion": 1,
                "instanceType": limits.instance_type,
                "source": source,
                "limits": limits,
                "mode": chosen,
                "maxPods": max,
                "maxPodsCap": a.max_pods_cap,
                "variants": variants.iter().map(|(m, n, f)| json!({"mode": m, "maxPods": n, "formula": f})).collect::<Vec<_>>(),
            });
            format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
        }
        Some(Output::Yaml) => {
            return Err(Error::flag_help(
                "--output",
                "max-pods prints table or json",
                "use -o table or -o json",
            ));
        }
        _ => table(
            &limits,
            chosen,
            &variants,
            g.color_for(std::io::stdout().is_terminal()),
        ),
    };
    stdout_write(text.as_bytes())?;
    Ok(0)
}

fn mode_name(m: Mode) -> &'static str {
    match (m.custom_networking, m.prefix_delegation) {
        (false, false) => "secondary IPs",
        (true, false) => "custom networking",
        (false, true) => "prefix delegation",
        (true, true) => "custom networking + prefix delegation",
    }
}

fn table(
    l: &InstanceLimits,
    chosen: Mode,
    variants: &[(Mode, u64, String)],
    color: bool,
) -> String {
    let mut t = Table::new();
    t.load_style(presets::NOTHING);
    if !color {
        t.force_no_tty();
    }
    t.set_header(["", "MODE", "MAX PODS", "FORMULA"]);
    for (m, n, f) in variants {
        t.add_row([
            if *m == chosen { "*" } else { "" },
            mode_name(*m),
            &n.to_string(),
            f,
        ]);
    }
    format!(
        "{}: {} ENIs × {} IPv4 addresses, {} vCPUs{}\n{}\n",
        l.instance_type,
        l.enis,
        l.ipv4_per_eni,
        l.vcpus,
        if l.nitro { ", Nitro" } else { "" },
        out::table_text(&mut t)
    )
}

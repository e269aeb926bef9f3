//! Fleet runs: one read-only command over many kubeconfig contexts at once (`--contexts a,b,c`,
//! `--all-contexts`).
//!
//! The runner is generic: a command hands it an async job that checks one cluster and returns
//! that cluster's report; the runner reads the kubeconfig once, runs at most `parallel` jobs at a
//! time on the caller's runtime, bounds each by `cluster_timeout`, and turns every failure
//! (unreachable, timed out, forbidden, any other error) into that cluster's outcome, so one bad
//! cluster never stops the others. [`report`] renders the outcomes as one report.

use std::collections::HashSet;
use std::future::Future;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::Client;
use kube::config::Kubeconfig;
use serde::Serialize;

use crate::error::{Error, Result};

pub mod report;

/// Which contexts: the ones named, or every context of the kubeconfig.
#[derive(Debug, Clone)]
pub enum Selection {
    Named(Vec<String>),
    All,
}

/// How the EKS cluster name of a context is found, for the AWS calls made per cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NameFrom {
    /// The context's name is the cluster's name
    Context,
    /// The context's cluster is an EKS ARN (arn:aws:eks:REGION:ACCOUNT:cluster/NAME), as
    /// `aws eks update-kubeconfig` writes it; the ARN's region is used for that cluster
    EksArn,
}

/// One cluster of the fleet: the kubeconfig context and the cluster entry it points at.
#[derive(Debug, Clone)]
pub struct Member {
    pub context: String,
    /// The kubeconfig cluster name of the context (EKS: the cluster's ARN).
    pub cluster: String,
    /// The API server's URL, as the kubeconfig gives it (named when it cannot be reached).
    pub server: String,
}

/// The EKS cluster an ARN names: `arn:PARTITION:eks:REGION:ACCOUNT:cluster/NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EksArn {
    pub region: String,
    pub name: String,
}

impl EksArn {
    pub fn parse(s: &str) -> Option<EksArn> {
        let mut parts = s.splitn(6, ':');
        let (arn, _partition, service, region, _account, resource) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        let name = resource.strip_prefix("cluster/")?;
        (arn == "arn" && service == "eks" && !region.is_empty() && !name.is_empty()).then(|| {
            EksArn {
                region: region.to_string(),
                name: name.to_string(),
            }
        })
    }
}

impl Member {
    /// The EKS cluster name (and the region, when an ARN names it) for AWS calls.
    pub fn eks_cluster(&self, from: NameFrom) -> Result<(String, Option<String>)> {
        match from {
            NameFrom::Context => Ok((self.context.clone(), None)),
            NameFrom::EksArn => [&self.cluster, &self.context]
                .into_iter()
                .find_map(|s| EksArn::parse(s))
                .map(|a| (a.name, Some(a.region)))
                .ok_or_else(|| {
                    Error::flag_help(
                        "--cluster-name-from",
                        format!(
                            "context `{}` (cluster `{}`) does not name an EKS cluster ARN",
                            self.context, self.cluster
                        ),
                        "use --cluster-name-from context when contexts are named after their clusters",
                    )
                }),
        }
    }
}

/// The kubeconfig, read once, and the contexts to run over.
pub struct Fleet {
    kubeconfig: Arc<Kubeconfig>,
    request_timeout: Option<Duration>,
    pub members: Vec<Member>,
}

impl Fleet {
    /// Reads the kubeconfig (`--kubeconfig`, else `KUBECONFIG`, else `~/.kube/config`) and picks
    /// the contexts (the target's own context is not used). An unknown or repeated context name
    /// is a usage error naming the contexts there are.
    pub fn load(target: &crate::kube::Target, select: &Selection) -> Result<Fleet> {
        let kubeconfig = crate::kube::read_kubeconfig(target.kubeconfig.as_deref())?;
        let cluster_of = |c: &kube::config::NamedContext| {
            c.context
                .as_ref()
                .map(|x| x.cluster.clone())
                .unwrap_or_default()
        };
        let server_of = |cluster: &str| {
            kubeconfig
                .clusters
                .iter()
                .find(|c| c.name == cluster)
                .and_then(|c| c.cluster.as_ref()?.server.clone())
                .unwrap_or_default()
        };
        let members: Vec<Member> = match select {
            Selection::All => kubeconfig
                .contexts
                .iter()
                .map(|c| Member {
                    context: c.name.clone(),
                    cluster: cluster_of(c),
                    server: server_of(&cluster_of(c)),
                })
                .collect(),
            Selection::Named(names) => {
                let mut seen = HashSet::new();
                let mut out = Vec::new();
                for n in names {
                    if !seen.insert(n.as_str()) {
                        return Err(Error::flag("--contexts", format!("`{n}` is named twice")));
                    }
                    let c = kubeconfig
                        .contexts
                        .iter()
                        .find(|c| &c.name == n)
                        .ok_or_else(|| {
                            Error::flag_help(
                                "--contexts",
                                format!("no context `{n}` in the kubeconfig"),
                                format!(
                                    "contexts there: {} (kubectl config get-contexts)",
                                    kubeconfig
                                        .contexts
                                        .iter()
                                        .map(|c| c.name.as_str())
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            )
                        })?;
                    out.push(Member {
                        context: n.clone(),
                        cluster: cluster_of(c),
                        server: server_of(&cluster_of(c)),
                    });
                }
                out
            }
        };
        if members.is_empty() {
            return Err(Error::flag_help(
                "--all-contexts",
                "the kubeconfig has no contexts",
                "pass --kubeconfig or set KUBECONFIG to a kubeconfig with contexts",
            ));
        }
        Ok(Fleet {
            kubeconfig: Arc::new(kubeconfig),
            request_timeout: target.request_timeout,
            members,
        })
    }

    /// A client for one context (built from the kubeconfig read once).
    pub async fn client(&self, m: &Member) -> Result<Client> {
        crate::kube::client_for_context(&self.kubeconfig, &m.context, self.request_timeout).await
    }
}

/// Why a cluster could not be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FailKind {
    /// The API server did not answer (connection refused, DNS, TLS).
    Unreachable,
    /// The check did not finish within `--cluster-timeout`.
    Timeout,
    /// The API server refused our identity (401/403).
    Forbidden,
    /// Anything else: a kubeconfig entry that cannot be used, an AWS error, a missing release.
    Error,
}

impl FailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FailKind::Unreachable => "unreachable",
            FailKind::Timeout => "timeout",
            FailKind::Forbidden => "forbidden",
            FailKind::Error => "error",
        }
    }

    fn of(e: &Error) -> FailKind {
        if crate::kube::is_denied(e) {
            FailKind::Forbidden
        } else if crate::kube::is_unreachable(e) {
            FailKind::Unreachable
        } else {
            FailKind::Error
        }
    }
}

/// A cluster that could not be checked, and why (the error's message and its hint).
#[derive(Debug, Clone)]
pub struct Failure {
    pub kind: FailKind,
    pub reason: String,
}

impl Failure {
    fn from_error(e: &Error) -> Failure {
        let help = miette::Diagnostic::help(e)
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        Failure {
            kind: FailKind::of(e),
            reason: format!("{e}{help}"),
        }
    }
}

/// One cluster's result: its report, or why there is none.
pub struct Outcome<R> {
    pub member: Member,
    pub result: std::result::Result<R, Failure>,
}

/// How many clusters at once, and how long each may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub parallel: usize,
    pub cluster_timeout: Duration,
}

/// What a job gets: its cluster, a client on demand (a job that only asks AWS never connects),
/// and its progress line.
pub struct Job {
    pub member: Member,
    kubeconfig: Arc<Kubeconfig>,
    request_timeout: Option<Duration>,
    line: Option<indicatif::ProgressBar>,
}

impl Job {
    pub async fn client(&self) -> Result<Client> {
        crate::kube::client_for_context(
            &self.kubeconfig,
            &self.member.context,
            self.request_timeout,
        )
        .await
    }

    /// Shows what the job is doing on its progress line (a terminal only).
    pub fn say(&self, msg: impl Into<String>) {
        if let Some(pb) = &self.line {
            pb.set_message(msg.into());
        }
    }
}

/// Runs `job` for every member, at most `limits.parallel` at a time, each bounded by
/// `limits.cluster_timeout`; outcomes come back in the fleet's order. On a terminal, one progress
/// line per cluster on stderr (waiting, what it is doing, then its result); nothing on pipes.
/// `verdict` words a finished report for its line (e.g. "3 findings").
pub async fn run<R, F, Fut>(
    fleet: &Fleet,
    limits: Limits,
    verdict: impl Fn(&R) -> String,
    job: F,
) -> Vec<Outcome<R>>
where
    F: Fn(Job) -> Fut,
    Fut: Future<Output = Result<R>>,
{
    let bars = std::io::stderr()
        .is_terminal()
        .then(indicatif::MultiProgress::new);
    let style = indicatif::ProgressStyle::with_template("{spinner} {prefix:.bold} {msg}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
    let width = fleet
        .members
        .iter()
        .map(|m| m.context.len())
        .max()
        .unwrap_or(0);
    let jobs: Vec<Job> = fleet
        .members
        .iter()
        .map(|m| Job {
            member: m.clone(),
            kubeconfig: Arc::clone(&fleet.kubeconfig),
            request_timeout: fleet.request_timeout,
            line: bars.as_ref().map(|mp| {
                let pb = mp.add(indicatif::ProgressBar::new_spinner());
                pb.set_style(style.clone());
                pb.set_prefix(format!("{:<width$}", m.context));
                pb.set_message("waiting");
                pb
            }),
        })
        .collect();
    let job = &job;
    let verdict = &verdict;
    let mut results: Vec<(usize, std::result::Result<R, Failure>)> =
        futures::stream::iter(jobs.into_iter().enumerate())
            .map(|(i, j)| async move {
                let line = j.line.clone();
                let j_server = j.member.server.clone();
                if let Some(pb) = &line {
                    pb.enable_steady_tick(Duration::from_millis(120));
                    pb.set_message("connecting");
                }
                let r = match tokio::time::timeout(limits.cluster_timeout, job(j)).await {
                    Ok(Ok(r)) => Ok(r),
                    Ok(Err(e)) => {
                        let mut f = Failure::from_error(&e);
                        if f.kind == FailKind::Unreachable {
                            f.reason = format!("API server {}: {}", j_server, f.reason);
                        }
                        Err(f)
                    }
                    Err(_) => Err(Failure {
                        kind: FailKind::Timeout,
                        reason: format!(
                            "not done within --cluster-timeout {}",
                            humantime(limits.cluster_timeout)
                        ),
                    }),
                };
                if let Some(pb) = &line {
                    pb.finish_with_message(match &r {
                        Ok(r) => verdict(r),
                        Err(f) => format!("not checked ({}): {}", f.kind.as_str(), f.reason),
                    });
                }
                (i, r)
            })
            .buffer_unordered(limits.parallel.max(1))
            .collect()
            .await;
    if let Some(mp) = &bars {
        let _ = mp.clear();
    }
    results.sort_by_key(|(i, _)| *i);
    results
        .into_iter()
        .map(|(i, result)| Outcome {
            member: fleet.members[i].clone(),
            result,
        })
        .collect()
}

fn humantime(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eks_arns() {
        assert_eq!(
            EksArn::parse("arn:aws:eks:eu-west-1:111122223333:cluster/prod-a"),
            Some(EksArn {
                region: "eu-west-1".into(),
                name: "prod-a".into()
            })
        );
        assert_eq!(
            EksArn::parse("arn:aws-cn:eks:cn-north-1:1:cluster/x").map(|a| a.region),
            Some("cn-north-1".into())
        );
        for bad in [
            "prod-a",
            "arn:aws:eks:eu-west-1:1:nodegroup/x",
            "arn:aws:ec2:eu-west-1:1:cluster/x",
            "arn:aws:eks::1:cluster/x",
            "arn:aws:eks:eu-west-1:1:cluster/",
        ] {
            assert_eq!(EksArn::parse(bad), None, "{bad}");
        }
        let m = Member {
            context: "prod".into(),
            cluster: "arn:aws:eks:us-east-2:1:cluster/prod-east".into(),
            server: String::new(),
        };
        assert_eq!(
            m.eks_cluster(NameFrom::EksArn).unwrap(),
            ("prod-east".into(), Some("us-east-2".into()))
        );
        assert_eq!(
            m.eks_cluster(NameFrom::Context).unwrap(),
            ("prod".into(), None)
        );
        let plain = Member {
            context: "kind-a".into(),
            cluster: "kind-a".into(),
            server: String::new(),
        };
        assert!(plain.eks_cluster(NameFrom::EksArn).is_err());
    }
}

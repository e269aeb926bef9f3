//! The hints that release errors give: they name the commands of the tool that drives the
//! release (for podnet's Cilium release, `kubectl podnet cilium …`), which this layer does not know.

/// How the driving tool spells its commands: `cli` is the prefix of its release commands
/// (`{cli} history`, `{cli} upgrade --recover`, `{cli} template`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hints {
    pub cli: &'static str,
}

impl Hints {
    /// A release record that cannot be read.
    pub fn damaged_record(&self) -> String {
        format!(
            "it may be damaged; `{} history` lists the readable revisions",
            self.cli
        )
    }

    /// A rendered or stored document that is not YAML.
    pub fn invalid_yaml(&self) -> String {
        format!(
            "the chart rendered invalid YAML; `{} template` shows it",
            self.cli
        )
    }

    /// `install` of a release that exists.
    pub fn exists(&self, pending: bool) -> String {
        if pending {
            format!(
                "another operation is in progress or was interrupted; wait for it, or recover with `{} upgrade --recover`",
                self.cli
            )
        } else {
            format!("use `{} upgrade`, or uninstall first", self.cli)
        }
    }

    /// `uninstall` of a release that does not exist.
    pub fn list_releases(&self) -> String {
        format!(
            "`{} history` or `helm list -A` shows the releases",
            self.cli
        )
    }

    /// An operation on a release whose last revision is pending.
    pub fn pending(&self) -> String {
        format!(
            "wait for it to finish; if it was interrupted, `{0} upgrade --recover` goes on from the last deployed revision and `{0} rollback` returns to it",
            self.cli
        )
    }

    /// An operation on a release whose last revision is being uninstalled.
    pub fn uninstalling(&self) -> String {
        format!(
            "wait for it to finish; if it was interrupted, `{0} uninstall` finishes it (then `{0} install` starts again), or `{0} rollback` brings the release back",
            self.cli
        )
    }

    /// `upgrade` of a release that does not exist.
    pub fn install_first(&self) -> String {
        format!("install it first: {} install", self.cli)
    }

    /// `rollback` to a revision that is not kept.
    pub fn list_revisions(&self) -> String {
        format!("`{} history` lists the revisions", self.cli)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_name_the_tool_commands() {
        let h = Hints { cli: "tool rel" };
        assert_eq!(h.install_first(), "install it first: tool rel install");
        assert!(h.pending().contains("`tool rel upgrade --recover`"));
        assert!(h.pending().contains("`tool rel rollback`"));
        assert!(h.exists(true).ends_with("`tool rel upgrade --recover`"));
    }
}

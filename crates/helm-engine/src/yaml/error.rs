//! The reader's error, a leaf the parser and the resolver share.

/// A YAML syntax or conversion error, worded as go-yaml and sigs.k8s.io/yaml word it.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError(pub String);

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for YamlError {}

pub(super) type ParseResult<T> = Result<T, YamlError>;

//! The engine's error: a Go error chain as text/template and Helm build and print them.

/// A template error as a Go error chain (outermost first).
#[derive(Debug, Clone)]
pub struct TemplateError {
    pub msg: String,
    pub wrapped: Option<Box<TemplateError>>,
    /// Is this a text/template ExecError?
    pub exec: bool,
}

impl TemplateError {
    pub fn new(msg: impl Into<String>) -> TemplateError {
        TemplateError {
            msg: msg.into(),
            wrapped: None,
            exec: false,
        }
    }
    pub fn wrap(msg: impl Into<String>, inner: TemplateError) -> TemplateError {
        TemplateError {
            msg: msg.into(),
            wrapped: Some(Box::new(inner)),
            exec: false,
        }
    }
}

/// `Err(TemplateError::new(msg))`, the shape of every failing template function.
pub fn fail<T>(msg: impl Into<String>) -> Result<T, TemplateError> {
    Err(TemplateError::new(msg))
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.msg)
    }
}

//! Function signatures as text/template sees them: Go parameter types, by kind, to emulate
//! text/template's argument conversion.

/// Parameter kinds (Go parameter types).
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum ParamKind {
    Any,
    Str,
    Int,
    Int64,
    Float,
    Bool,
    Map,
    List,
    StrList,
    Time,
    Uint32,
}

impl ParamKind {
    /// Can an argument of this kind be Go's `nil`?
    pub fn can_be_nil(self) -> bool {
        matches!(
            self,
            ParamKind::Any | ParamKind::Map | ParamKind::List | ParamKind::StrList
        )
    }
    /// The Go type's name, as conversion errors print it.
    pub fn go_name(self) -> &'static str {
        match self {
            ParamKind::Any => "interface {}",
            ParamKind::Str => "string",
            ParamKind::Int => "int",
            ParamKind::Int64 => "int64",
            ParamKind::Float => "float64",
            ParamKind::Bool => "bool",
            ParamKind::Map => "map[string]interface {}",
            ParamKind::List => "[]interface {}",
            ParamKind::StrList => "[]string",
            ParamKind::Time => "time.Time",
            ParamKind::Uint32 => "uint32",
        }
    }
}

/// A function's fixed parameters and, for a variadic function, the kind of the rest.
pub type Signature = (&'static [ParamKind], Option<ParamKind>);

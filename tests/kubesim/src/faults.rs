//! Fault injection (`--fault SPEC`).

use crate::server::Req;
use hyper::Response;

use crate::body::RespBody;

#[derive(Default, Clone, Debug)]
pub struct Faults {
    pub specs: Vec<String>,
}

impl Faults {
    pub async fn before(&self, _r: &Req) -> Option<Response<RespBody>> {
        None
    }

    pub fn watch_close_after(&self) -> Option<usize> {
        None
    }

    pub fn image_pull_patterns(&self) -> Vec<String> {
        self.specs
            .iter()
            .filter_map(|s| s.strip_prefix("image-pull:").map(str::to_string))
            .collect()
    }
}

impl Faults {
    pub fn parse(specs: &[String]) -> Result<Faults, String> {
        Ok(Faults {
            specs: specs.to_vec(),
        })
    }
}

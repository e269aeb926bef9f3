//! Fault injection (`--fault SPEC`, repeatable; also `Kubesim::set_faults` at run time).
//!
//! ```text
//! image-pull:PATTERN                       pods whose image contains PATTERN stay in ImagePullBackOff
//! latency:DURATION[:METHOD[:PATH]]         delay matching requests (e.g. latency:200ms:GET:/api/v1/pods)
//! error:CODE:RATE[:METHOD[:PATH]]          answer with a Status of CODE (400, 404, 409, 422, 429, 500, 503, …)
//! throttle:RATE[:SECONDS[:METHOD[:PATH]]]  429 TooManyRequests with Retry-After (default 1 s)
//! drop:RATE[:METHOD[:PATH]]                drop the connection after the response headers
//! lost:RATE[:METHOD[:PATH]]                carry the request out, then drop the connection before
//!                                          the answer (the client cannot tell that it landed)
//! late:DURATION:RATE[:METHOD[:PATH]]       carry the request out, then hold the answer DURATION
//! conflict:RATE[:PATH]                     409 "the object has been modified" on PUT/PATCH
//! watch-close:N                            close every watch after N events
//! seed:N                                   seed for the rates (default 1): runs are deterministic
//! ```
//! RATE is a probability (`0.25`) or `Nx` for the first N matching requests (`3x`).
//! METHOD is an HTTP verb or `*`; PATH is a prefix of the request path and may contain `*`.

use crate::body::RespBody;
use crate::error::ApiError;
use crate::server::{Req, error_resp};
use hyper::Response;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
enum Rate {
    Prob(f64),
    First(u64),
}

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    ImagePull(String),
    Latency(Duration),
    Error(u16),
    Throttle(u64),
    Drop,
    Lost,
    Late(Duration),
    Conflict,
    WatchClose(usize),
}

#[derive(Clone, Debug)]
struct Rule {
    kind: Kind,
    rate: Rate,
    method: String,
    path: String,
    hits: u64,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    rng: u64,
    specs: Vec<String>,
}

#[derive(Default)]
pub struct Faults {
    state: Mutex<State>,
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Faults({:?})", self.specs())
    }
}

fn parse_rate(s: &str) -> Result<Rate, String> {
    if let Some(n) = s.strip_suffix('x') {
        return n
            .parse()
            .map(Rate::First)
            .map_err(|_| format!("invalid rate {s:?}"));
    }
    let p: f64 = s.parse().map_err(|_| format!("invalid rate {s:?}"))?;
    if !(0.0..=1.0).contains(&p) {
        return Err(format!("rate {s:?} must be within 0..1 (or Nx)"));
    }
    Ok(Rate::Prob(p))
}

fn glob(pat: &str, s: &str) -> bool {
    if !pat.contains('*') {
        return s.starts_with(pat);
    }
    let parts: Vec<&str> = pat.split('*').collect();
    let mut rest = s;
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(p) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if let Some(pos) = rest.find(p) {
            rest = &rest[pos + p.len()..];
        } else {
            return false;
        }
    }
    true
}

fn parse_rule(spec: &str) -> Result<Option<Rule>, String> {
    let parts: Vec<&str> = spec.splitn(5, ':').collect();
    let get = |i: usize| parts.get(i).copied().unwrap_or("");
    let mk = |kind, rate, m: &str, p: &str| Rule {
        kind,
        rate,
        method: if m.is_empty() {
            "*".into()
        } else {
            m.to_uppercase()
        },
        path: p.to_string(),
        hits: 0,
    };
    let dur = |s: &str| {
        crate::util::parse_duration(s).ok_or_else(|| format!("invalid duration {s:?} in {spec:?}"))
    };
    Ok(Some(match parts[0] {
        "image-pull" => mk(
            Kind::ImagePull(spec["image-pull:".len().min(spec.len())..].to_string()),
            Rate::Prob(1.0),
            "",
            "",
        ),
        "latency" => mk(Kind::Latency(dur(get(1))?), Rate::Prob(1.0), get(2), get(3)),
        "error" | "status" => {
            let code: u16 = get(1)
                .parse()
                .map_err(|_| format!("invalid status code in {spec:?}"))?;
            let rate = if get(2).is_empty() {
                Rate::Prob(1.0)
            } else {
                parse_rate(get(2))?
            };
            mk(Kind::Error(code), rate, get(3), get(4))
        }
        "throttle" => {
            let secs = if get(2).is_empty() {
                1
            } else {
                get(2)
                    .parse()
                    .map_err(|_| format!("invalid seconds in {spec:?}"))?
            };
            mk(Kind::Throttle(secs), parse_rate(get(1))?, get(3), get(4))
        }
        "drop" => mk(Kind::Drop, parse_rate(get(1))?, get(2), get(3)),
        "lost" => mk(Kind::Lost, parse_rate(get(1))?, get(2), get(3)),
        "late" => mk(
            Kind::Late(dur(get(1))?),
            parse_rate(get(2))?,
            get(3),
            get(4),
        ),
        "conflict" => mk(Kind::Conflict, parse_rate(get(1))?, "*", get(2)),
        "watch-close" => {
            let n = get(1)
                .parse()
                .map_err(|_| format!("invalid count in {spec:?}"))?;
            mk(Kind::WatchClose(n), Rate::Prob(1.0), "", "")
        }
        "seed" => return Ok(None),
        other => return Err(format!("unknown fault {other:?} in {spec:?}")),
    }))
}

enum Action {
    Sleep(Duration),
    Respond(ApiError),
    Drop,
    Lose,
    HoldAnswer(Duration),
}

/// What happens to a request's answer once it has been carried out.
#[derive(Debug, Default)]
pub struct After {
    /// Held this long before it is sent.
    pub delay: Duration,
    /// Never sent: the connection is dropped.
    pub lose: bool,
}

/// A response that sends its headers, then drops the connection.
fn aborted() -> Response<RespBody> {
    Response::builder()
        .status(200)
        .header("Content-Type", "application/json")
        .body(RespBody::Abort)
        .expect("response")
}

impl Faults {
    pub fn parse(specs: &[String]) -> Result<Faults, String> {
        let f = Faults::default();
        f.set(specs)?;
        Ok(f)
    }

    /// Replaces the active faults.
    pub fn set(&self, specs: &[String]) -> Result<(), String> {
        let mut rules = vec![];
        let mut seed = 1u64;
        for s in specs {
            if let Some(v) = s.strip_prefix("seed:") {
                seed = v.parse().map_err(|_| format!("invalid seed {v:?}"))?;
            }
            if let Some(r) = parse_rule(s)? {
                rules.push(r);
            }
        }
        let mut st = self.state.lock().map_err(|e| e.to_string())?;
        *st = State {
            rules,
            rng: seed,
            specs: specs.to_vec(),
        };
        Ok(())
    }

    pub fn specs(&self) -> Vec<String> {
        self.state
            .lock()
            .map(|s| s.specs.clone())
            .unwrap_or_default()
    }

    fn decide(&self, r: &Req) -> Vec<Action> {
        let Ok(mut st) = self.state.lock() else {
            return vec![];
        };
        let mut out = vec![];
        let State { rules, rng, .. } = &mut *st;
        for rule in rules.iter_mut() {
            if matches!(rule.kind, Kind::ImagePull(_) | Kind::WatchClose(_)) {
                continue;
            }
            if rule.method != "*" && rule.method != r.method {
                continue;
            }
            if !rule.path.is_empty() && !glob(&rule.path, &r.path) {
                continue;
            }
            if rule.kind == Kind::Conflict && !matches!(r.method.as_str(), "PUT" | "PATCH") {
                continue;
            }
            rule.hits += 1;
            let fire = match rule.rate {
                Rate::First(n) => rule.hits <= n,
                Rate::Prob(p) => {
                    *rng = crate::util::splitmix(*rng);
                    ((*rng >> 11) as f64 / (1u64 << 53) as f64) < p
                }
            };
            if !fire {
                continue;
            }
            out.push(match &rule.kind {
                Kind::Latency(d) => Action::Sleep(*d),
                Kind::Error(code) => Action::Respond(error_for(*code, &r.path)),
                Kind::Throttle(secs) => {
                    let mut e = ApiError::new(429, "TooManyRequests", "Too many requests, please try again later.")
                        .with_details(serde_json::json!({"retryAfterSeconds": secs}));
                    e.headers.push(("Retry-After".into(), secs.to_string()));
                    Action::Respond(e)
                }
                Kind::Drop => Action::Drop,
                Kind::Lost => Action::Lose,
                Kind::Late(d) => Action::HoldAnswer(*d),
                Kind::Conflict => Action::Respond(ApiError::new(
                    409,
                    "Conflict",
                    format!("Operation cannot be fulfilled on {}: the object has been modified; please apply your changes to the latest version and try again", r.path),
                )),
                Kind::ImagePull(_) | Kind::WatchClose(_) => continue,
            });
        }
        out
    }

    /// Applies request faults before the request is carried out: `Err(response)` answers it
    /// instead; `Ok(after)` says what becomes of the real answer.
    pub async fn before(&self, r: &Req) -> Result<After, Response<RespBody>> {
        let mut after = After::default();
        for a in self.decide(r) {
            match a {
                Action::Sleep(d) => tokio::time::sleep(d).await,
                Action::Respond(e) => return Err(error_resp(&e)),
                Action::Drop => return Err(aborted()),
                Action::Lose => after.lose = true,
                Action::HoldAnswer(d) => after.delay += d,
            }
        }
        Ok(after)
    }

    /// The answer to a carried-out request, as the faults decided in [`Faults::before`].
    pub async fn after(after: After, resp: Response<RespBody>) -> Response<RespBody> {
        if !after.delay.is_zero() {
            tokio::time::sleep(after.delay).await;
        }
        if after.lose { aborted() } else { resp }
    }

    pub fn watch_close_after(&self) -> Option<usize> {
        let st = self.state.lock().ok()?;
        st.rules.iter().find_map(|r| match r.kind {
            Kind::WatchClose(n) => Some(n),
            _ => None,
        })
    }

    pub fn image_pull_patterns(&self) -> Vec<String> {
        let Ok(st) = self.state.lock() else {
            return vec![];
        };
        st.rules
            .iter()
            .filter_map(|r| match &r.kind {
                Kind::ImagePull(p) => Some(p.clone()),
                _ => None,
            })
            .collect()
    }
}

fn error_for(code: u16, path: &str) -> ApiError {
    let reason = match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        410 => "Expired",
        422 => "Invalid",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "Unknown",
    };
    let mut e = ApiError::new(
        code,
        reason,
        format!("kubesim fault: {code} {reason} for {path}"),
    );
    if code == 429 || code == 503 {
        e.headers.push(("Retry-After".into(), "1".into()));
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(m: &str, p: &str) -> Req {
        Req {
            method: m.into(),
            path: p.into(),
            query: vec![],
            accept: String::new(),
            content_type: String::new(),
            user_agent: String::new(),
            body: vec![],
        }
    }

    #[test]
    fn parse_and_decide() {
        let f = Faults::parse(&[
            "error:503:2x:GET:/api/v1/pods".into(),
            "image-pull:bad/".into(),
            "watch-close:3".into(),
        ])
        .unwrap();
        assert_eq!(f.image_pull_patterns(), vec!["bad/".to_string()]);
        assert_eq!(f.watch_close_after(), Some(3));
        assert_eq!(f.decide(&req("GET", "/api/v1/pods")).len(), 1);
        assert_eq!(f.decide(&req("GET", "/api/v1/nodes")).len(), 0);
        assert_eq!(f.decide(&req("GET", "/api/v1/pods")).len(), 1);
        assert_eq!(f.decide(&req("GET", "/api/v1/pods")).len(), 0);
        assert!(Faults::parse(&["bogus:1".into()]).is_err());
        let f = Faults::parse(&["lost:1x:POST".into(), "late:2s:1x:PUT:/x".into()]).unwrap();
        assert!(matches!(f.decide(&req("POST", "/y"))[..], [Action::Lose]));
        assert!(f.decide(&req("POST", "/y")).is_empty());
        assert!(
            matches!(f.decide(&req("PUT", "/x"))[..], [Action::HoldAnswer(d)] if d == Duration::from_secs(2))
        );
        assert!(glob(
            "/api/v1/namespaces/*/pods",
            "/api/v1/namespaces/x/pods/y"
        ));
    }

    #[test]
    fn deterministic_rates() {
        let a = Faults::parse(&["error:500:0.5".into(), "seed:7".into()]).unwrap();
        let b = Faults::parse(&["error:500:0.5".into(), "seed:7".into()]).unwrap();
        let ra: Vec<usize> = (0..50).map(|_| a.decide(&req("GET", "/x")).len()).collect();
        let rb: Vec<usize> = (0..50).map(|_| b.decide(&req("GET", "/x")).len()).collect();
        assert_eq!(ra, rb);
        let n: usize = ra.iter().sum();
        assert!(n > 10 && n < 40, "{n}");
    }
}

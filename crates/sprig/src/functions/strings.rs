//! Sprig's string, encoding and regex functions (strings are Go byte strings: see gotemplate::gostr).

use super::helpers::*;

/// The function `name` if it is one of this module's: `Ok(None)` when it is not.
pub(super) fn call(
    _keys: Option<&KeyPool>,
    st: &mut State,
    name: &str,
    a: &[Value],
) -> Result<Option<Value>, TemplateError> {
    let args = Args(a);
    match name {
        // ---------- strings
        "trim" => str_v(args.s(0).trim_matches(|c: char| c.is_whitespace()).to_string()),
        "trimAll" | "trimall" => str_v(args.s(1).trim_matches(|c: char| args.s(0).contains(c)).to_string()),
        "hello" => str_v("Hello!".to_string()),
        "biggest" => Ok(Value::Int64(a.iter().map(to_int64).max().unwrap_or(0))),
        "mustFromJson" => match go_json_syntax_error(args.s(0))
            .map(Err)
            .unwrap_or_else(|| parse_json(args.s(0)))
        {
            Ok(v) => Ok(v),
            Err(e) => ferr(e),
        },
        "b32dec" => match crate::text::base32_decode(args.s(0)) {
            Some(b) => str_v(gotemplate::gostr::from_vec(b)),
            None => str_v("illegal base32 data at input byte 0".to_string()),
        },
        "shuffle" => {
            let mut c: Vec<char> = args.s(0).chars().collect();
            let mut r = vec![0u8; c.len()];
            let _ = aws_lc_rs::rand::fill(&mut r);
            for i in (1..c.len()).rev() {
                let j = r[i] as usize % (i + 1);
                c.swap(i, j);
            }
            str_v(c.into_iter().collect())
        }
        "randInt" => {
            let (lo, hi) = (to_int64(&a[0]), to_int64(&a[1]));
            if hi <= lo {
                return ferr("invalid argument to Intn");
            }
            let mut r = [0u8; 8];
            let _ = aws_lc_rs::rand::fill(&mut r);
            Ok(Value::Int(
                lo + (u64::from_le_bytes(r) % (hi - lo) as u64) as i64,
            ))
        }
        "randBytes" => {
            use base64::Engine;
            let mut r = vec![0u8; i_arg(&a[0]).max(0) as usize];
            let _ = aws_lc_rs::rand::fill(&mut r);
            str_v(base64::engine::general_purpose::STANDARD.encode(r))
        }
        "trimSuffix" => str_v(args.s(1).strip_suffix(args.s(0)).unwrap_or(args.s(1)).to_string()),
        "trimPrefix" => str_v(args.s(1).strip_prefix(args.s(0)).unwrap_or(args.s(1)).to_string()),
        "upper" => str_v(go_upper(args.s(0))),
        "lower" => str_v(go_lower(args.s(0))),
        "title" => str_v(go_title(args.s(0))),
        "untitle" => {
            let mut out = String::new();
            let mut prev_space = true;
            for c in args.s(0).chars() {
                if prev_space && c.is_uppercase() {
                    out.extend(c.to_lowercase());
                } else {
                    out.push(c);
                }
                prev_space = c.is_whitespace();
            }
            str_v(out)
        }
        "repeat" => {
            // refused before the memory is spent: the result could only fail the output limit
            let (n, text) = (i_arg(&a[0]).max(0) as u128, args.s(1));
            let len = n * text.len() as u128;
            if len > st.ctx.max_output as u128 {
                return ferr(format!(
                    "repeat: the result would be {len} bytes, more than the output limit of {} bytes",
                    st.ctx.max_output
                ));
            }
            str_v(text.repeat(n as usize))
        }
        "substr" => {
            // Sprig slices s[start:end] as Go does, panicking on bad bounds
            let (st_, en, x) = (i_arg(&a[0]), i_arg(&a[1]), args.s(2));
            let b = gotemplate::gostr::to_bytes(x);
            let len = b.len() as i64;
            let (lo, hi) = if st_ < 0 {
                (0, en)
            } else if en < 0 || en > len {
                (st_, len)
            } else {
                (st_, en)
            };
            if hi < 0 || hi > len {
                return ferr(format!(
                    "runtime error: slice bounds out of range [:{hi}] with length {len}"
                ));
            }
            if lo > hi {
                return ferr(format!(
                    "runtime error: slice bounds out of range [{lo}:{hi}]"
                ));
            }
            str_v(gotemplate::gostr::from_bytes(&b[lo as usize..hi as usize]))
        }
        "nospace" => str_v(
            gotemplate::gostr::replacing_invalid(args.s(0))
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect(),
        ),
        "trunc" => {
            // Go slices bytes: a cut inside a character keeps the bytes before it
            let (c, x) = (i_arg(&a[0]), args.s(1));
            let b = gotemplate::gostr::to_bytes(x);
            let l = b.len() as i64;
            let r = if c < 0 && l + c > 0 {
                &b[(l + c) as usize..]
            } else if c >= 0 && l > c {
                &b[..c as usize]
            } else {
                &b[..]
            };
            str_v(gotemplate::gostr::from_bytes(r))
        }
        "abbrevboth" => {
            let (l, r, x) = (i_arg(&a[0]), i_arg(&a[1]), args.s(2));
            if r < 4 || l > 0 && r < 7 {
                return Ok(Some(Value::string(x.to_string())));
            }
            str_v(abbreviate_full(x, l, r))
        }
        // goutils.Abbreviate: byte lengths and a byte cut, as abbrevboth
        "abbrev" => {
            let (w, x) = (i_arg(&a[0]), args.s(1));
            if w < 4 {
                return Ok(Some(Value::string(x.to_string())));
            }
            str_v(abbreviate_full(x, 0, w))
        }
        "initials" => str_v(
            args.s(0).split_whitespace()
                .filter_map(|w| w.chars().next())
                .collect(),
        ),
        "contains" => Ok(Value::Bool(args.s(1).contains(args.s(0)))),
        "hasPrefix" => Ok(Value::Bool(args.s(1).starts_with(args.s(0)))),
        "hasSuffix" => Ok(Value::Bool(args.s(1).ends_with(args.s(0)))),
        "quote" => str_v(
            a.iter()
                .filter(|v| !v.is_nil())
                .map(|v| go_quote(&strval(v)))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "squote" => str_v(
            a.iter()
                .filter(|v| !v.is_nil())
                .map(|v| format!("'{}'", strval(v)))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "cat" => str_v(
            go_sprintln(
                &a.iter()
                    .filter(|v| !v.is_nil())
                    .cloned()
                    .collect::<Vec<_>>(),
            )
            .trim_end_matches('\n')
            .to_string(),
        ),
        "indent" => {
            let pad = " ".repeat(i_arg(&a[0]).max(0) as usize);
            str_v(format!(
                "{}{}",
                pad,
                args.s(1).replace('\n', &format!("\n{}", pad))
            ))
        }
        "nindent" => {
            let pad = " ".repeat(i_arg(&a[0]).max(0) as usize);
            str_v(format!(
                "\n{}{}",
                pad,
                args.s(1).replace('\n', &format!("\n{}", pad))
            ))
        }
        "replace" => str_v(args.s(2).replace(args.s(0), args.s(1))),
        "plural" => str_v(if i_arg(&a[2]) == 1 {
            args.s(0).to_string()
        } else {
            args.s(1).to_string()
        }),
        "snakecase" => str_v(crate::text::snake_case(args.s(0))),
        "camelcase" => str_v(crate::text::camel_case(args.s(0))),
        "kebabcase" => str_v(crate::text::snake_case(args.s(0)).replace('_', "-")),
        "swapcase" => str_v(swap_case(&gotemplate::gostr::replacing_invalid(args.s(0)))),
        "wrap" => str_v(crate::text::wrap(args.s(1), i_arg(&a[0]), "", false)),
        "wrapWith" => str_v(crate::text::wrap(args.s(2), i_arg(&a[0]), args.s(1), true)),
        "toString" => str_v(strval(&a[0])),
        "toStrings" => Ok(Value::strings(strslice(&a[0]))),
        "join" => str_v(strslice(&a[1]).join(args.s(0))),
        "split" => {
            let mut m = BTreeMap::new();
            for (i, p) in go_split(args.s(1), args.s(0)).into_iter().enumerate() {
                m.insert(format!("_{}", i), p.to_string());
            }
            // Sprig's split returns a Go map[string]string
            Ok(Value::Object(Rc::new(Object::StrMap(Some(m)))))
        }
        "splitn" => {
            let mut m = BTreeMap::new();
            let n = i_arg(&a[1]);
            let parts: Vec<&str> = if n < 0 {
                go_split(args.s(2), args.s(0))
            } else if args.s(0).is_empty() {
                // strings.SplitN's explode: n-1 characters, then the rest
                let chars = go_split(args.s(2), "");
                let n = n as usize;
                if chars.len() > n && n > 0 {
                    let cut: usize = chars[..n - 1].iter().map(|c| c.len()).sum();
                    let mut parts = chars[..n - 1].to_vec();
                    parts.push(&args.s(2)[cut..]);
                    parts
                } else {
                    chars.into_iter().take(n).collect()
                }
            } else {
                args.s(2).splitn(n as usize, args.s(0)).collect()
            };
            for (i, p) in parts.into_iter().enumerate() {
                m.insert(format!("_{}", i), p.to_string());
            }
            Ok(Value::Object(Rc::new(Object::StrMap(Some(m)))))
        }
        "splitList" => {
            // strings.Split: a []string
            if args.s(0).is_empty() {
                return Ok(Some(Value::strings(
                    args.s(1).chars().map(|c| c.to_string()).collect(),
                )));
            }
            Ok(Value::strings(
                args.s(1).split(args.s(0)).map(str::to_string).collect(),
            ))
        }
        "sortAlpha" => {
            let mut v = match &a[0] {
                Value::List(_) => strslice(&a[0]),
                Value::Object(o) if matches!(o.as_ref(), Object::Strings(..)) => strslice(&a[0]),
                // not a slice: Sprig returns `[]string{strval(x)}`, and strval(nil) is "<nil>"
                Value::Nil => vec!["<nil>".to_string()],
                x => vec![strval(x)],
            };
            v.sort();
            Ok(Value::strings(v))
        }
        // these see Go's bytes of the string (gotemplate::gostr)
        "b64enc" => {
            use base64::Engine;
            str_v(base64::engine::general_purpose::STANDARD.encode(args.bytes(0)))
        }
        "b64dec" => match go_b64_decode(args.s(0)) {
            Ok(b) => str_v(gotemplate::gostr::from_vec(b)),
            Err(e) => str_v(e),
        },
        "b32enc" => str_v(crate::text::base32_encode(&args.bytes(0))),
        "sha256sum" => {
            use sha2::Digest;
            str_v(hex_lower(&sha2::Sha256::digest(args.bytes(0))))
        }
        "sha512sum" => {
            use sha2::Digest;
            str_v(hex_lower(&sha2::Sha512::digest(args.bytes(0))))
        }
        "sha1sum" => {
            use sha1::Digest;
            str_v(hex_lower(&sha1::Sha1::digest(args.bytes(0))))
        }
        "adler32sum" => {
            let (mut x, mut y) = (1u32, 0u32);
            for &b in args.bytes(0).iter() {
                x = (x + b as u32) % 65521;
                y = (y + x) % 65521;
            }
            str_v(((y << 16) | x).to_string())
        }
        "base" | "osBase" => str_v(gotemplate::path::path_base(args.s(0))),
        "dir" | "osDir" => str_v(gotemplate::path::path_dir(args.s(0))),
        "clean" | "osClean" => str_v(gotemplate::path::path_clean(args.s(0))),
        "ext" | "osExt" => {
            let b = gotemplate::path::path_base(args.s(0));
            let x = args.s(0);
            let e = match x.rfind(['.', '/']) {
                Some(i) if x.as_bytes()[i] == b'.' => &x[i..],
                _ => "",
            };
            let _ = b;
            str_v(e.to_string())
        }
        "isAbs" | "osIsAbs" => Ok(Value::Bool(args.s(0).starts_with('/'))),
        // ---------- regex
        "regexMatch" => Ok(Value::Bool(
            regex(args.s(0)).map(|r| r.is_match(args.s(1))).unwrap_or(false),
        )),
        "mustRegexMatch" => Ok(Value::Bool(regex(args.s(0))?.is_match(args.s(1)))),
        "regexFind" | "mustRegexFind" => {
            let r = regex_for(name, args.s(0))?;
            str_v(
                r.find(args.s(1))
                    .map(|m| m.as_str().to_string())
                    .unwrap_or_default(),
            )
        }
        "regexFindAll" | "mustRegexFindAll" => {
            let r = regex_for(name, args.s(0))?;
            let n = i_arg(&a[2]);
            let mut v: Vec<String> = r.find_iter(args.s(1)).map(|m| m.as_str().to_string()).collect();
            if n >= 0 {
                v.truncate(n as usize);
            }
            Ok(Value::strings(v))
        }
        "regexReplaceAll" | "mustRegexReplaceAll" => {
            let r = regex_for(name, args.s(0))?;
            str_v(gotemplate::regexp::go_replace_all(&r, args.s(1), args.s(2)))
        }
        "regexReplaceAllLiteral" | "mustRegexReplaceAllLiteral" => {
            let r = regex_for(name, args.s(0))?;
            str_v(r.replace_all(args.s(1), regex::NoExpand(args.s(2))).into_owned())
        }
        "regexSplit" | "mustRegexSplit" => {
            let r = regex_for(name, args.s(0))?;
            Ok(Value::strings(
                go_regex_split(&r, args.s(0), args.s(1), i_arg(&a[2]))
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
            ))
        }
        "regexQuoteMeta" => str_v(regex::escape(args.s(0))),
        _ => return Ok(None),
    }
    .map(Some)
}

//! Sprig's list and dict functions.

use super::helpers::*;

/// The function `name` if it is one of this module's: `Ok(None)` when it is not.
pub(super) fn call(
    _keys: Option<&KeyPool>,
    _st: &mut State,
    name: &str,
    a: &[Value],
) -> Result<Option<Value>, TemplateError> {
    let args = Args(a);
    match name {
        // ---------- lists
        "list" | "tuple" => Ok(Value::list(a.to_vec())),
        "first" | "mustFirst" => {
            let l = as_list(&a[0], "first")?;
            Ok(l.first().cloned().unwrap_or(Value::Nil))
        }
        "last" | "mustLast" => {
            let l = as_list(&a[0], "last")?;
            Ok(l.last().cloned().unwrap_or(Value::Nil))
        }
        "rest" | "mustRest" => {
            let l = as_list(&a[0], "rest")?;
            if l.is_empty() {
                return Ok(Some(Value::Nil));
            }
            Ok(Value::list(l[1..].to_vec()))
        }
        "initial" | "mustInitial" => {
            let l = as_list(&a[0], "initial")?;
            if l.is_empty() {
                return Ok(Some(Value::Nil));
            }
            Ok(Value::list(l[..l.len() - 1].to_vec()))
        }
        "reverse" | "mustReverse" => {
            let mut l = as_list(&a[0], "reverse")?;
            l.reverse();
            Ok(Value::list(l))
        }
        "append" | "push" | "mustAppend" | "mustPush" => {
            let mut l = as_list(&a[0], "push")?;
            l.push(a[1].clone());
            Ok(Value::list(l))
        }
        "prepend" | "mustPrepend" => {
            let mut l = as_list(&a[0], "prepend")?;
            l.insert(0, a[1].clone());
            Ok(Value::list(l))
        }
        "concat" => {
            let mut out = vec![];
            for x in a {
                match x {
                    Value::List(l) => out.extend(l.iter().cloned()),
                    Value::Nil => return ferr(NIL_DEREF),
                    Value::Object(o) if matches!(o.as_ref(), Object::Strings(..)) => {
                        out.extend(as_list(x, "concat")?)
                    }
                    _ => return ferr(format!("Cannot concat type {} as list", x.kind_name())),
                }
            }
            Ok(Value::list(out))
        }
        "uniq" | "mustUniq" => {
            let l = as_list(&a[0], "uniq")?;
            let mut out: Vec<Value> = vec![];
            for x in l {
                if !out.iter().any(|y| deep_equal(y, &x)) {
                    out.push(x);
                }
            }
            Ok(Value::list(out))
        }
        "compact" | "mustCompact" => {
            let l = as_list(&a[0], "compact")?;
            Ok(Value::list(
                l.into_iter().filter(|x| !is_empty(x)).collect(),
            ))
        }
        "without" | "mustWithout" => {
            let l = as_list(&a[0], "without")?;
            Ok(Value::list(
                l.into_iter()
                    .filter(|x| !a[1..].iter().any(|y| deep_equal(x, y)))
                    .collect(),
            ))
        }
        "has" | "mustHas" => {
            let l = match &a[1] {
                Value::Nil => return Ok(Some(Value::Bool(false))),
                _ => as_list(&a[1], "has")?,
            };
            Ok(Value::Bool(l.iter().any(|x| deep_equal(x, &a[0]))))
        }
        "slice" | "mustSlice" => {
            let l = match &a[0] {
                Value::List(_) | Value::Object(_) | Value::Nil => as_list(&a[0], "slice")?,
                v => {
                    return ferr(format!(
                        "list should be type of slice or array but {}",
                        v.kind_name()
                    ));
                }
            };
            let st_ = a.get(1).map(to_int64).unwrap_or(0) as usize;
            let en = a
                .get(2)
                .map(to_int64)
                .map(|x| x as usize)
                .unwrap_or(l.len());
            if st_ > en || en > l.len() {
                return ferr(format!("slice bounds out of range [{}:{}]", st_, en));
            }
            // reflect's Slice keeps the slice's type: a []string stays one
            if let Some(items) = string_slice(&a[0]) {
                return Ok(Some(Value::strings(items[st_..en].to_vec())));
            }
            Ok(Value::list(l[st_..en].to_vec()))
        }
        "chunk" | "mustChunk" => {
            let l = as_list(&a[1], "chunk")?;
            let n = i_arg(&a[0]).max(1) as usize;
            Ok(Value::list(
                l.chunks(n).map(|c| Value::list(c.to_vec())).collect(),
            ))
        }
        // ---------- dicts
        "dict" => {
            let mut m = BTreeMap::new();
            let mut i = 0;
            while i < a.len() {
                let k = strval(&a[i]);
                let v = a.get(i + 1).cloned().unwrap_or(Value::str(""));
                m.insert(k, v);
                i += 2;
            }
            Ok(Value::map(m))
        }
        "get" => Ok(match &a[0] {
            Value::Map(m) => m.borrow().get(args.s(1)).cloned().unwrap_or(Value::str("")),
            _ => Value::str(""),
        }),
        "set" => {
            match &a[0] {
                Value::Map(m) => {
                    m.borrow_mut().insert(args.s(1).to_string(), a[2].clone());
                }
                _ => return ferr("assignment to entry in nil map"),
            }
            Ok(a[0].clone())
        }
        "unset" => {
            if let Value::Map(m) = &a[0] {
                m.borrow_mut().remove(args.s(1));
            }
            Ok(a[0].clone())
        }
        "hasKey" => Ok(Value::Bool(match &a[0] {
            Value::Map(m) => m.borrow().contains_key(args.s(1)),
            _ => false,
        })),
        "pluck" => Ok(Value::list(
            a[1..].iter().filter_map(|d| d.get(args.s(0))).collect(),
        )),
        "keys" => {
            let mut ks = vec![];
            for d in a {
                if let Value::Map(m) = d {
                    ks.extend(m.borrow().keys().cloned());
                }
            }
            Ok(Value::strings(ks))
        }
        "values" => Ok(match &a[0] {
            Value::Map(m) => Value::list(m.borrow().values().cloned().collect()),
            _ => Value::list(vec![]),
        }),
        "pick" => {
            let mut m = BTreeMap::new();
            if let Value::Map(src) = &a[0] {
                for k in &a[1..] {
                    if let Some(v) = src.borrow().get(k.str_or_empty()) {
                        m.insert(k.str_or_empty().to_string(), v.clone());
                    }
                }
            }
            Ok(Value::map(m))
        }
        "omit" => {
            let mut m = BTreeMap::new();
            if let Value::Map(src) = &a[0] {
                for (k, v) in src.borrow().iter() {
                    if !a[1..].iter().any(|x| x.str_or_empty() == k) {
                        m.insert(k.clone(), v.clone());
                    }
                }
            }
            Ok(Value::map(m))
        }
        "merge" | "mustMerge" | "mergeOverwrite" | "mustMergeOverwrite" => {
            let dst = match &a[0] {
                Value::Nil => Value::empty_map(),
                d => d.clone(),
            };
            for src in &a[1..] {
                merge_into(&dst, src, name.contains("Overwrite"));
            }
            Ok(dst)
        }
        "dig" => {
            if a.len() < 3 {
                return ferr("dig needs at least three arguments");
            }
            let dict = &a[a.len() - 1];
            let def = &a[a.len() - 2];
            let mut cur = match dict {
                Value::Map(_) => dict.clone(),
                _ => {
                    return ferr(format!(
                        "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                        dict.type_name()
                    ));
                }
            };
            for k in &a[..a.len() - 2] {
                let ks = match k {
                    Value::Str(s) => s.to_string(),
                    _ => {
                        return ferr(format!(
                            "interface conversion: interface {{}} is {}, not string",
                            k.type_name()
                        ));
                    }
                };
                let next = match &cur {
                    Value::Map(m) => m.borrow().get(&ks).cloned(),
                    _ => {
                        return ferr(format!(
                            "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                            cur.type_name()
                        ));
                    }
                };
                match next {
                    None => return Ok(Some(def.clone())),
                    Some(v) => cur = v,
                }
            }
            Ok(cur)
        }
        _ => return Ok(None),
    }
    .map(Some)
}

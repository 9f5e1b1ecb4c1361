# Adds scoped variables (for.each, catch.as, …) to the expression module.
import sys
p = sys.argv[1]
s = open(p).read()
if "compile_with" in s:
    print("already patched"); sys.exit(0)
s = s.replace('''    uses: [bool; VARIABLES.len()],
}

/// Values of the expression arguments''', '''    uses: [bool; VARIABLES.len()],
    /// Scoped variables declared after [`VARIABLES`] (`$item`, `$error`, …), in declaration order.
    locals: Vec<String>,
}

/// Values of the expression arguments''', 1)
s = s.replace('''    /// `$runtime`: the descriptor of the runtime.
    pub runtime: Value,
}''', '''    /// `$runtime`: the descriptor of the runtime.
    pub runtime: Value,
    /// Scoped variables by name with `$` (`$item`, `$index`, `$error`); later entries shadow earlier ones.
    pub locals: Vec<(String, Value)>,
}''', 1)
s = s.replace('''    pub fn compile(src: &str) -> Result<Expr, CompileError> {
        let uses = check_source(src)?;
        let filter = compile_filter(src)?;
        Ok(Expr {
            inner: Arc::new(Compiled {
                source: src.to_owned(),
                filter,
                uses,
            }),
        })
    }''', '''    pub fn compile(src: &str) -> Result<Expr, CompileError> {
        Self::compile_with(src, &[])
    }

    /// Compiles jq source text with scoped variables (names with `$`, e.g. `$item`) declared
    /// after [`VARIABLES`]; their values come from [`Vars::locals`] by name.
    pub fn compile_with(src: &str, locals: &[String]) -> Result<Expr, CompileError> {
        let uses = check_source(src)?;
        let mut declared: Vec<String> = Vec::with_capacity(locals.len());
        for local in locals {
            // Only variables the source mentions are bound; shadowed duplicates collapse.
            if src.contains(local.as_str()) && !declared.contains(local) && !VARIABLES.contains(&local.as_str()) {
                declared.push(local.clone());
            }
        }
        let filter = compile_filter(src, &declared)?;
        Ok(Expr {
            inner: Arc::new(Compiled {
                source: src.to_owned(),
                filter,
                uses,
                locals: declared,
            }),
        })
    }''', 1)
s = s.replace('''        let input = json_to_val(input, 0).map_err(|e| EvalError::new(format!("input: {e}")))?;''', '''        for name in &compiled.locals {
            let value = vars.locals.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v);
            values.push(match value {
                Some(v) => json_to_val(v, 0).map_err(|e| EvalError::new(format!("{name}: {e}")))?,
                None => Val::Null,
            });
        }
        let input = json_to_val(input, 0).map_err(|e| EvalError::new(format!("input: {e}")))?;''', 1)
s = s.replace('''fn compile_filter(src: &str) -> Result<Filter, CompileError> {''', '''fn compile_filter(src: &str, locals: &[String]) -> Result<Filter, CompileError> {''', 1)
s = s.replace('''        .with_global_vars(VARIABLES)''', '''        .with_global_vars(VARIABLES.iter().copied().chain(locals.iter().map(String::as_str)))''', 1)
open(p, 'w').write(s)
print("patched")

//! `report_filter(name, value, ...)`: does a row pass report filter `name`?

use arrow::datatypes::DataType;
use datafusion::common::{ScalarValue, exec_err, plan_err};
use datafusion::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility, lit,
};

use crate::report_config::ReportConfig;

/// True when the report filter `name` (`SET convlake.<name> = 'a,b'`) is
/// unset, or when any of the values is one of its comma-separated values.
/// Several values let a filter match an id or a name:
///
/// ```sql
/// where report_filter('opened_channel', opened_channel_id, opened_channel_name)
/// ```
///
/// The planner replaces the call with `true` (filter unset) or with
/// `value IN ('a', 'b') OR ...`, which DataFusion can push into scans.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ReportFilter {
    signature: Signature,
}

impl Default for ReportFilter {
    fn default() -> Self {
        Self::new()
    }
}

impl ReportFilter {
    pub fn new() -> Self {
        Self {
            signature: Signature::variadic_any(Volatility::Stable),
        }
    }

    /// The filter's values, or `None` when it is unset.
    fn values(options: &ConfigOptions, name: &Expr) -> Result<Option<Vec<String>>> {
        let Expr::Literal(ScalarValue::Utf8(Some(name)) | ScalarValue::Utf8View(Some(name)), _) =
            name
        else {
            return plan_err!(
                "report_filter: the first argument must be a filter name as a string literal"
            );
        };
        let values = ReportConfig::from_options(options).filter(name)?;
        Ok((!values.is_empty()).then_some(values))
    }
}

impl ScalarUDFImpl for ReportFilter {
    fn name(&self) -> &str {
        "report_filter"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        exec_err!("report_filter is replaced while planning; it cannot run with the optimizer off")
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        if args.len() < 2 {
            return plan_err!("report_filter takes a filter name and at least one value");
        }
        let Some(values) = Self::values(info.config_options(), &args[0])? else {
            return Ok(ExprSimplifyResult::Simplified(lit(true)));
        };
        // Type coercion has run already: give the literals each value's type.
        let mut matches = Vec::with_capacity(args.len() - 1);
        for value in &args[1..] {
            let ty = info.get_data_type(value).unwrap_or(DataType::Utf8);
            let list = values
                .iter()
                .map(|v| Ok(lit(ScalarValue::Utf8(Some(v.clone())).cast_to(&ty)?)))
                .collect::<Result<Vec<Expr>>>()?;
            matches.push(value.clone().in_list(list, false));
        }
        let matches = matches
            .into_iter()
            .reduce(Expr::or)
            .expect("at least one value");
        // NULL (no value) does not match.
        Ok(ExprSimplifyResult::Simplified(
            datafusion::functions::expr_fn::coalesce(vec![matches, lit(false)]),
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::logical_expr::col;

    use super::*;

    fn simplify(set: Option<&str>, args: Vec<Expr>) -> Result<Expr> {
        let mut options = ConfigOptions::new();
        options.extensions.insert(ReportConfig::default());
        if let Some(v) = set {
            options.set("convlake.opened_channel", v).unwrap();
        }
        let info = SimplifyContext::builder()
            .with_config_options(Arc::new(options))
            .build();
        match ReportFilter::new().simplify(args, &info)? {
            ExprSimplifyResult::Simplified(e) => Ok(e),
            ExprSimplifyResult::Original(_) => panic!("always simplified"),
        }
    }

    #[test]
    fn unset_is_true_set_is_in_list() {
        let args = || vec![lit("opened_channel"), col("id"), col("name")];
        assert_eq!(simplify(None, args()).unwrap(), lit(true));
        let e = simplify(Some("wa, web"), args()).unwrap();
        let list = vec![lit("wa"), lit("web")];
        let expected = datafusion::functions::expr_fn::coalesce(vec![
            col("id")
                .in_list(list.clone(), false)
                .or(col("name").in_list(list, false)),
            lit(false),
        ]);
        assert_eq!(e, expected);
    }

    #[test]
    fn unknown_filter_or_non_literal_name_is_an_error() {
        let err = simplify(None, vec![lit("colour"), col("x")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown report filter 'colour'"), "{err}");
        let err = simplify(None, vec![col("name"), col("x")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("string literal"), "{err}");
    }
}

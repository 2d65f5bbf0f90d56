//! `report_check(component, accepted)` and `report_inapplicable(accepted)`:
//! filters that do not apply to a report component are never silently ignored.

use arrow::datatypes::DataType;
use datafusion::common::{ScalarValue, plan_err};
use datafusion::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility, lit,
};

use crate::report_config::ReportConfig;

/// Seed 000 lists, per component, the filters that apply to it; a set filter
/// outside that list shows "filter not applicable here" instead of data.
///
/// - `report_check('heatmap_opened', 'opened_channel,opened_source')` is
///   `true`, or fails planning with
///   `filter not applicable here: closed_by_team (heatmap_opened accepts: ...)`.
///   Every view with a restricted list has it in its `where`.
/// - `report_inapplicable('opened_channel,opened_source')` is the
///   comma-separated list of the set filters outside the list, or NULL: the
///   `report_status` view reports it without failing.
///
/// `accepted` is a comma-separated list; `'*'` stands for every filter of seed 000.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ReportCheck {
    strict: bool,
    signature: Signature,
}

impl ReportCheck {
    /// `report_check` when `strict`, else `report_inapplicable`.
    pub fn new(strict: bool) -> Self {
        let arity = if strict { 2 } else { 1 };
        Self {
            strict,
            signature: Signature::uniform(arity, vec![DataType::Utf8], Volatility::Stable),
        }
    }

    fn inapplicable(options: &ConfigOptions, accepted: &str) -> Vec<&'static str> {
        let mut accepted: Vec<&str> = accepted.split(',').map(str::trim).collect();
        // '*' is every filter of seed 000 (the respond.io report's).
        if accepted.contains(&"*") {
            accepted.extend(crate::report_config::FILTERS);
        }
        ReportConfig::from_options(options)
            .set_filters()
            .into_iter()
            .filter(|f| !accepted.contains(f))
            .collect()
    }

    fn evaluate(&self, options: &ConfigOptions, args: &[&str]) -> Result<ScalarValue> {
        if self.strict {
            let (component, accepted) = (args[0], args[1]);
            let bad = Self::inapplicable(options, accepted);
            if !bad.is_empty() {
                return plan_err!(
                    "filter not applicable here: {} ({component} accepts: {})",
                    bad.join(", "),
                    accepted.replace(',', ", ")
                );
            }
            Ok(ScalarValue::Boolean(Some(true)))
        } else {
            let bad = Self::inapplicable(options, args[0]);
            Ok(ScalarValue::Utf8((!bad.is_empty()).then(|| bad.join(","))))
        }
    }
}

fn literal_strings(args: &[Expr]) -> Result<Vec<&str>> {
    args.iter()
        .map(|a| match a {
            Expr::Literal(ScalarValue::Utf8(Some(s)) | ScalarValue::Utf8View(Some(s)), _) => {
                Ok(s.as_str())
            }
            _ => plan_err!("report_check / report_inapplicable take string literals"),
        })
        .collect()
}

impl ScalarUDFImpl for ReportCheck {
    fn name(&self) -> &str {
        if self.strict {
            "report_check"
        } else {
            "report_inapplicable"
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(if self.strict {
            DataType::Boolean
        } else {
            DataType::Utf8
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let mut strings = Vec::new();
        for arg in &args.args {
            match arg {
                ColumnarValue::Scalar(ScalarValue::Utf8(Some(s))) => strings.push(s.as_str()),
                _ => return plan_err!("{} takes string literals", self.name()),
            }
        }
        Ok(ColumnarValue::Scalar(
            self.evaluate(&args.config_options, &strings)?,
        ))
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let strings = literal_strings(&args)?;
        Ok(ExprSimplifyResult::Simplified(lit(
            self.evaluate(info.config_options(), &strings)?
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(set: &[(&str, &str)]) -> ConfigOptions {
        let mut options = ConfigOptions::new();
        options.extensions.insert(ReportConfig::default());
        for (k, v) in set {
            options.set(&format!("convlake.{k}"), v).unwrap();
        }
        options
    }

    #[test]
    fn accepted_filters_pass_others_fail_with_a_message() {
        let check = ReportCheck::new(true);
        let o = options(&[("opened_channel", "wa")]);
        assert_eq!(
            check
                .evaluate(&o, &["heatmap_opened", "opened_channel,contact"])
                .unwrap(),
            ScalarValue::Boolean(Some(true))
        );
        let o = options(&[("opened_channel", "wa"), ("closed_by_team", "t1")]);
        let err = check
            .evaluate(&o, &["heatmap_opened", "opened_channel,contact"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("filter not applicable here: closed_by_team (heatmap_opened accepts: opened_channel, contact)"), "{err}");
        assert_eq!(
            check.evaluate(&o, &["conversation_list", "*"]).unwrap(),
            ScalarValue::Boolean(Some(true))
        );
    }

    #[test]
    fn inapplicable_lists_without_failing() {
        let status = ReportCheck::new(false);
        let o = options(&[
            ("category", "Sales"),
            ("last_assignee", "u1"),
            ("contact", "k1"),
        ]);
        assert_eq!(
            status.evaluate(&o, &["contact"]).unwrap(),
            ScalarValue::Utf8(Some("last_assignee,category".into()))
        );
        assert_eq!(
            status.evaluate(&options(&[]), &["contact"]).unwrap(),
            ScalarValue::Utf8(None)
        );
    }
}

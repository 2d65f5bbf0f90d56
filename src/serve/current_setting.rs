//! `current_setting(name)`: a session setting's value, as PostgreSQL
//! clients read it; `convlake.*` from the connection's report parameters.

use datafusion::arrow::array::{Array, AsArray, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::exec_err;
use datafusion::config::ExtensionOptions;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use convlake_udfs::report_config::ReportConfig;

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CurrentSetting {
    signature: Signature,
}

impl CurrentSetting {
    pub fn udf() -> ScalarUDF {
        ScalarUDF::from(CurrentSetting {
            // Stable: it reads the session's settings.
            signature: Signature::exact(vec![DataType::Utf8], Volatility::Stable),
        })
    }
}

/// The value of `name` in `config`, or what PostgreSQL answers for the
/// session settings clients ask about.
fn value(config: &ReportConfig, name: &str) -> Option<String> {
    let name = name.trim().to_ascii_lowercase();
    if let Some(parameter) = name.strip_prefix("convlake.") {
        return config
            .entries()
            .into_iter()
            .find(|e| e.key.trim_start_matches("convlake.") == parameter)
            .map(|e| e.value.unwrap_or_default());
    }
    let known = match name.as_str() {
        "server_version" => "16.6",
        "server_version_num" => "160006",
        "server_encoding" | "client_encoding" => "UTF8",
        "default_transaction_read_only" | "transaction_read_only" => "on",
        "standard_conforming_strings" => "on",
        "datestyle" => "ISO, YMD",
        "search_path" => "public",
        "max_identifier_length" => "63",
        _ => return None,
    };
    Some(known.to_string())
}

impl ScalarUDFImpl for CurrentSetting {
    fn name(&self) -> &str {
        "current_setting"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let config = ReportConfig::from_options(&args.config_options);
        let names = args.args[0].to_array(args.number_rows)?;
        let names = names.as_string::<i32>();
        let mut out = StringBuilder::new();
        for i in 0..names.len() {
            if names.is_null(i) {
                out.append_null();
                continue;
            }
            match value(&config, names.value(i)) {
                Some(v) => out.append_value(v),
                None => {
                    return exec_err!(
                        "unrecognized configuration parameter \"{}\"",
                        names.value(i)
                    );
                }
            }
        }
        Ok(ColumnarValue::Array(std::sync::Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_parameters_and_session_settings() {
        let mut config = ReportConfig::default();
        config.period = "all".into();
        assert_eq!(value(&config, "convlake.period").as_deref(), Some("all"));
        assert_eq!(value(&config, "convlake.timezone").as_deref(), Some("UTC"));
        assert_eq!(
            value(&config, "server_version_num").as_deref(),
            Some("160006")
        );
        assert_eq!(value(&config, "convlake.nope"), None);
    }
}

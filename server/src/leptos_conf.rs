//! The Leptos runtime configuration. cargo-leptos passes it as `LEPTOS_*` variables when it
//! runs the server; run directly (in production), the server reads `Leptos.toml`, whose keys
//! a test keeps in step with the build metadata in Cargo.toml.

use leptos::config::LeptosOptions;
use std::path::Path;

pub fn load(path: &Path) -> Result<LeptosOptions, String> {
    let from_file = path.exists() && std::env::var_os("LEPTOS_OUTPUT_NAME").is_none();
    let conf = if from_file {
        leptos_config::get_configuration(path.to_str())
    } else {
        leptos_config::get_configuration(None)
    };
    conf.map(|c| c.leptos_options)
        .map_err(|e| format!("Leptos configuration: {e}"))
}

#[cfg(test)]
mod tests {
    /// `Leptos.toml` (what the server reads in production) and `[[workspace.metadata.leptos]]`
    /// (what cargo-leptos builds with) must name the same output, paths and address.
    #[test]
    fn leptos_toml_agrees_with_the_build_metadata() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let cargo: toml::Table = std::fs::read_to_string(format!("{root}/Cargo.toml"))
            .expect("Cargo.toml")
            .parse()
            .expect("Cargo.toml parses");
        let build = cargo["workspace"]["metadata"]["leptos"]
            .as_array()
            .expect("[[workspace.metadata.leptos]]")[0]
            .clone();
        let runtime_text =
            std::fs::read_to_string(format!("{root}/Leptos.toml")).expect("Leptos.toml");
        let runtime: toml::Table = runtime_text.parse().expect("Leptos.toml parses");
        let runtime = &runtime["package"]["metadata"]["leptos"];
        for key in [
            "output-name",
            "site-root",
            "site-pkg-dir",
            "site-addr",
            "reload-port",
        ] {
            assert_eq!(
                runtime.get(key),
                build.get(key),
                "`{key}` differs between Leptos.toml and Cargo.toml"
            );
        }
        let options = leptos_config::get_config_from_str(&runtime_text)
            .expect("leptos_config reads Leptos.toml");
        assert_eq!(
            &*options.output_name,
            build["output-name"].as_str().expect("output-name")
        );
    }
}

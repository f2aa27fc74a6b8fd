
use builtin;
use str;

set edit:completion:arg-completer[smart] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'smart'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'smart'= {
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout in seconds, per request'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand discover 'Read and validate a server''s SMART configuration'
            cand profile 'Manage server profiles (stored in the config file; never secrets)'
            cand sandbox 'Run an embedded SMART on FHIR server for demos and tests'
            cand completions 'Print a shell completion script'
            cand man 'Print the man page (roff)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'smart;discover'= {
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout in seconds, per request'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;profile'= {
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout in seconds, per request'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand add 'Add a profile (the first one becomes the default)'
            cand list 'List profiles'
            cand show 'Show one profile, workarounds included (default: the current one)'
            cand use 'Make a profile the default'
            cand remove 'Remove a profile'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'smart;profile;add'= {
            cand --fhir-base 'FHIR base URL of the server'
            cand --client-id 'OAuth client id registered with the server'
            cand --scope 'Default scope to request at login'
            cand --redirect-port 'Fixed loopback port for the redirect URI (default: an ephemeral port)'
            cand --client-type 'Kind of OAuth client'
            cand --aud 'Value to send as `aud` instead of the FHIR base'
            cand --pkce 'Workaround: PKCE `always` (default) or only `if-advertised`'
            cand --token-auth-method 'Workaround: force this token endpoint client authentication method'
            cand --authorize-param 'Workaround: extra authorize request parameter (repeatable)'
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout in seconds, per request'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --no-aud 'Do not send `aud` (for servers that reject it)'
            cand --format-json 'Workaround: add `_format=json` to FHIR requests (servers that answer XML)'
            cand --force 'Replace an existing profile of the same name'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;profile;list'= {
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout in seconds, per request'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;profile;show'= {
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout in seconds, per request'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;profile;use'= {
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout in seconds, per request'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;profile;remove'= {
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout in seconds, per request'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;profile;help'= {
            cand add 'Add a profile (the first one becomes the default)'
            cand list 'List profiles'
            cand show 'Show one profile, workarounds included (default: the current one)'
            cand use 'Make a profile the default'
            cand remove 'Remove a profile'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'smart;profile;help;add'= {
        }
        &'smart;profile;help;list'= {
        }
        &'smart;profile;help;show'= {
        }
        &'smart;profile;help;use'= {
        }
        &'smart;profile;help;remove'= {
        }
        &'smart;profile;help;help'= {
        }
        &'smart;sandbox'= {
            cand --port 'Port to listen on (0 = an ephemeral port)'
            cand --bind 'Address to bind (loopback by default)'
            cand --patients 'Number of synthetic patients to generate'
            cand --seed 'Seed for the synthetic data (same seed, same data)'
            cand --upstream 'Put SMART authorization in front of this plain FHIR server instead of the synthetic data'
            cand --token-lifetime 'Access token lifetime in seconds'
            cand --clients 'Extra client registrations (JSON file)'
            cand --fault 'Misbehave in one named way (repeatable; `--fault help` lists them)'
            cand --tls-cert 'Serve https with this certificate chain (PEM)'
            cand --tls-key 'Private key (PEM) for --tls-cert'
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout in seconds, per request'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --auto-approve 'Approve authorization requests without showing the consent page'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand launch-url 'Print an EHR launch URL for an app, issued by a running sandbox'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'smart;sandbox;launch-url'= {
            cand --app 'The app''s launch URL (where the EHR sends `iss` and `launch`)'
            cand --patient 'Patient in context'
            cand --encounter 'Encounter in context'
            cand --base 'FHIR base URL of the running sandbox'
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout in seconds, per request'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;sandbox;help'= {
            cand launch-url 'Print an EHR launch URL for an app, issued by a running sandbox'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'smart;sandbox;help;launch-url'= {
        }
        &'smart;sandbox;help;help'= {
        }
        &'smart;completions'= {
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout in seconds, per request'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;man'= {
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout in seconds, per request'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;help'= {
            cand discover 'Read and validate a server''s SMART configuration'
            cand profile 'Manage server profiles (stored in the config file; never secrets)'
            cand sandbox 'Run an embedded SMART on FHIR server for demos and tests'
            cand completions 'Print a shell completion script'
            cand man 'Print the man page (roff)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'smart;help;discover'= {
        }
        &'smart;help;profile'= {
            cand add 'Add a profile (the first one becomes the default)'
            cand list 'List profiles'
            cand show 'Show one profile, workarounds included (default: the current one)'
            cand use 'Make a profile the default'
            cand remove 'Remove a profile'
        }
        &'smart;help;profile;add'= {
        }
        &'smart;help;profile;list'= {
        }
        &'smart;help;profile;show'= {
        }
        &'smart;help;profile;use'= {
        }
        &'smart;help;profile;remove'= {
        }
        &'smart;help;sandbox'= {
            cand launch-url 'Print an EHR launch URL for an app, issued by a running sandbox'
        }
        &'smart;help;sandbox;launch-url'= {
        }
        &'smart;help;completions'= {
        }
        &'smart;help;man'= {
        }
        &'smart;help;help'= {
        }
    ]
    $completions[$command]
}

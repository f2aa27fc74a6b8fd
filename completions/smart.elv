
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
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand discover 'Read and validate a server''s SMART configuration'
            cand profile 'Manage server profiles (stored in the config file; never secrets)'
            cand login 'Sign in (SMART App Launch: browser, loopback redirect, PKCE) and store the tokens'
            cand status 'Show who is logged in, with what context and scopes, and for how long'
            cand token 'Print the access token (refreshed first when about to expire)'
            cand refresh 'Refresh the tokens now'
            cand logout 'Revoke the tokens at the server and delete them here'
            cand sandbox 'Run an embedded SMART on FHIR server for demos and tests'
            cand keys 'Client signing keys for private_key_jwt (backend services, asymmetric clients)'
            cand register 'Register a client at the server (RFC 7591) and save it as a new profile'
            cand query 'Search: `smart query Patient family=smith --all` (streams; see --output)'
            cand get 'Read one resource or any URL on the FHIR server: `smart get Patient/123`'
            cand create 'Create a resource: `smart create Patient -d @patient.json`'
            cand update 'Update a resource: `smart update Patient/123 -d @patient.json [--if-match 3]`'
            cand delete 'Delete a resource: `smart delete Patient/123`'
            cand capabilities 'Summarize the server''s CapabilityStatement (`--json` for all of it)'
            cand export 'FHIR Bulk Data export: kick-off, polling, parallel resumable download'
            cand check 'Smoke-test a server''s SMART conformance (for server implementers)'
            cand completions 'Print a shell completion script'
            cand man 'Print the man page (roff)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'smart;discover'= {
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;profile'= {
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand add 'Add a profile (the first one becomes the default)'
            cand list 'List profiles'
            cand show 'Show one profile, workarounds included (default: the current one)'
            cand use 'Make a profile the default'
            cand remove 'Remove a profile'
            cand set-secret 'Store a profile''s client secret in the token store (read from stdin, never an argument)'
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
            cand --basic-auth-encoding 'Workaround: how client_secret_basic encodes id and secret'
            cand --max-retry-wait 'Longest Retry-After wait to honour on 429/503, in seconds (default 60)'
            cand --private-key 'private_key_jwt: PEM private key file, or `keychain` (the token store)'
            cand --kid 'private_key_jwt: key id the server knows the key by (default: its thumbprint)'
            cand --alg 'private_key_jwt: signing algorithm (default: what the key signs with)'
            cand --jku 'private_key_jwt: URL where the public JWKS is hosted (sent as `jku`)'
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --no-aud 'Do not send `aud` (for servers that reject it)'
            cand --format-json 'Workaround: add `_format=json` to FHIR requests (servers that answer XML)'
            cand --no-scope-translation 'Ask for scopes as written, even when the server advertises only the other scope dialect'
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
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;profile;show'= {
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;profile;use'= {
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;profile;remove'= {
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;profile;set-secret'= {
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;profile;help'= {
            cand add 'Add a profile (the first one becomes the default)'
            cand list 'List profiles'
            cand show 'Show one profile, workarounds included (default: the current one)'
            cand use 'Make a profile the default'
            cand remove 'Remove a profile'
            cand set-secret 'Store a profile''s client secret in the token store (read from stdin, never an argument)'
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
        &'smart;profile;help;set-secret'= {
        }
        &'smart;profile;help;help'= {
        }
        &'smart;login'= {
            cand --fhir-base 'FHIR base URL (creates or updates no profile unless none exists; see -p)'
            cand --client-id 'OAuth client id (overrides the profile''s)'
            cand --scope 'Scopes to request (overrides the profile''s)'
            cand --launch 'EHR launch: the `launch` value the EHR gave (use with --iss)'
            cand --iss 'EHR launch: the `iss` (FHIR base) the EHR gave'
            cand --redirect-port 'Fixed loopback port for the redirect URI (default: ephemeral)'
            cand --redirect-uri 'Full pre-registered loopback redirect URI, e.g. http://127.0.0.1:8765/cb'
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --ehr 'EHR launch as a real app receives it: wait on http://127.0.0.1:PORT/launch for the EHR'
            cand --no-browser 'Do not open a browser; print the URL (for SSH and containers)'
            cand --secret-stdin 'Read the client secret from stdin and store it (confidential clients)'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;status'= {
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;token'= {
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --decode 'Show the JWT header and claims (not verified) instead of the token; an opaque token is named as such'
            cand --introspect 'Ask the server''s introspection endpoint whether the token is active'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;refresh'= {
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;logout'= {
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --all 'Log out of every profile'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;sandbox'= {
            cand --port 'Port to listen on (0 = an ephemeral port)'
            cand --bind 'Address to bind (loopback by default)'
            cand --patients 'Number of synthetic patients to generate'
            cand --seed 'Seed for the synthetic data (same seed, same data)'
            cand --upstream 'Put SMART authorization in front of this plain FHIR server instead of the synthetic data'
            cand --token-lifetime 'Access token lifetime in seconds'
            cand --clients 'Extra client registrations (JSON file)'
            cand --fault 'Misbehave in one named way (repeatable or comma-separated; `--fault help` lists them)'
            cand --quirk 'Behave like some real EHR servers do (repeatable or comma-separated; `--quirk help` lists them)'
            cand --tls-cert 'Serve https with this certificate chain (PEM)'
            cand --tls-key 'Private key (PEM) for --tls-cert'
            cand --export-delay 'Bulk export jobs stay in progress at least this long (seconds, fractions allowed)'
            cand --export-file-lines 'Resources per bulk export file at most (a type with more gets several files)'
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --auto-approve 'Approve authorization requests without showing the consent page'
            cand --allow-loopback-jwks-uri 'Accept plain-http jwks_uri on loopback (127.0.0.1, [::1], localhost), for local tests; otherwise a registered jwks_uri must be https'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
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
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
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
        &'smart;keys'= {
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand generate 'Create a key pair, keep the private key (0600 PEM or the keychain), print the public JWKS'
            cand jwks 'Print the public JWKS of the profile''s key (or of --key FILE)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'smart;keys;generate'= {
            cand --alg 'Signing algorithm: ES384 (P-384) or RS384 (RSA 2048)'
            cand --kid 'Key id to publish (default: the key''s RFC 7638 thumbprint)'
            cand --out 'Write the private key (PKCS#8 PEM, mode 0600) and the JWKS into DIR (default: .)'
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --keychain 'Keep the private key in the token store (keychain) under the profile instead'
            cand --force 'Replace existing key files'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;keys;jwks'= {
            cand --key 'PEM private key file to read instead of the profile''s key'
            cand --kid 'Key id to publish (default: the profile''s kid, else the key''s thumbprint)'
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;keys;help'= {
            cand generate 'Create a key pair, keep the private key (0600 PEM or the keychain), print the public JWKS'
            cand jwks 'Print the public JWKS of the profile''s key (or of --key FILE)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'smart;keys;help;generate'= {
        }
        &'smart;keys;help;jwks'= {
        }
        &'smart;keys;help;help'= {
        }
        &'smart;register'= {
            cand --fhir-base 'FHIR base URL of the server (default: SMART_FHIR_BASE)'
            cand --name 'Client name shown to users and administrators'
            cand --client-type 'Kind of client (default: backend with a key, confidential-asymmetric with a key and --redirect-port, else public)'
            cand --redirect-port 'Fixed loopback redirect port (default: any port, RFC 8252)'
            cand --jwks 'Public JWKS file to register (default: derived from the private key)'
            cand --jwks-url 'Register this jwks_uri instead of inline keys (also sent as `jku`)'
            cand --private-key 'Private key for the new profile: a PEM file, or `keychain` (default: SMART_PRIVATE_KEY)'
            cand --scope 'Scopes to register and to request (backend default: system/*.rs)'
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --force 'Replace an existing profile of the same name'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;query'= {
            cand --limit 'Stop after N resources (following `next` links as needed)'
            cand --count 'Page size (sends `_count`)'
            cand -o 'Output format [default: table on a terminal, ndjson when piped]'
            cand --output 'Output format [default: table on a terminal, ndjson when piped]'
            cand --retries 'Retries on 429/503, honouring Retry-After (GET and POST _search only)'
            cand --max-retry-wait 'Longest Retry-After wait to honour, in seconds; a server asking for more fails the command (default: the profile''s max_retry_wait, else 60)'
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --all 'Follow `next` links to the end, writing each page as it arrives'
            cand --post 'POST [base]/[Type]/_search with a form body: parameters stay out of URLs and logs (profile key `post_search = true` makes it the default)'
            cand --get 'Search with GET even when the profile sets `post_search = true`'
            cand --no-auth 'Send no token (open servers; any URL is then allowed)'
            cand -q 'No progress bar, notes or paging hints on stderr'
            cand --quiet 'No progress bar, notes or paging hints on stderr'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;get'= {
            cand -o 'Output format [default: json; a Bundle answer can be shown as ndjson, table or ids]'
            cand --output 'Output format [default: json; a Bundle answer can be shown as ndjson, table or ids]'
            cand --retries 'Retries on 429/503, honouring Retry-After (GET and POST _search only)'
            cand --max-retry-wait 'Longest Retry-After wait to honour, in seconds; a server asking for more fails the command (default: the profile''s max_retry_wait, else 60)'
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --no-auth 'Send no token (open servers; any URL is then allowed)'
            cand -q 'No progress bar, notes or paging hints on stderr'
            cand --quiet 'No progress bar, notes or paging hints on stderr'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;create'= {
            cand -d 'The resource: @file.json, - for stdin (the default when stdin is not a terminal), or inline JSON'
            cand --data 'The resource: @file.json, - for stdin (the default when stdin is not a terminal), or inline JSON'
            cand --retries 'Retries on 429/503, honouring Retry-After (GET and POST _search only)'
            cand --max-retry-wait 'Longest Retry-After wait to honour, in seconds; a server asking for more fails the command (default: the profile''s max_retry_wait, else 60)'
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --no-auth 'Send no token (open servers; any URL is then allowed)'
            cand -q 'No progress bar, notes or paging hints on stderr'
            cand --quiet 'No progress bar, notes or paging hints on stderr'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;update'= {
            cand -d 'The resource: @file.json, - for stdin (the default when stdin is not a terminal), or inline JSON'
            cand --data 'The resource: @file.json, - for stdin (the default when stdin is not a terminal), or inline JSON'
            cand --if-match 'Only if the current version is this ETag (W/"3", "3" or 3); else the server answers 412'
            cand --retries 'Retries on 429/503, honouring Retry-After (GET and POST _search only)'
            cand --max-retry-wait 'Longest Retry-After wait to honour, in seconds; a server asking for more fails the command (default: the profile''s max_retry_wait, else 60)'
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --no-auth 'Send no token (open servers; any URL is then allowed)'
            cand -q 'No progress bar, notes or paging hints on stderr'
            cand --quiet 'No progress bar, notes or paging hints on stderr'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;delete'= {
            cand --if-match 'Only if the current version is this ETag (W/"3", "3" or 3)'
            cand --retries 'Retries on 429/503, honouring Retry-After (GET and POST _search only)'
            cand --max-retry-wait 'Longest Retry-After wait to honour, in seconds; a server asking for more fails the command (default: the profile''s max_retry_wait, else 60)'
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --no-auth 'Send no token (open servers; any URL is then allowed)'
            cand -q 'No progress bar, notes or paging hints on stderr'
            cand --quiet 'No progress bar, notes or paging hints on stderr'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;capabilities'= {
            cand --retries 'Retries on 429/503, honouring Retry-After (GET and POST _search only)'
            cand --max-retry-wait 'Longest Retry-After wait to honour, in seconds; a server asking for more fails the command (default: the profile''s max_retry_wait, else 60)'
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --statement 'Print the whole CapabilityStatement as JSON (same as the global --json)'
            cand --no-auth 'Send no token (open servers; any URL is then allowed)'
            cand -q 'No progress bar, notes or paging hints on stderr'
            cand --quiet 'No progress bar, notes or paging hints on stderr'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;export'= {
            cand --type 'Resource types to export (comma-separated or repeated; sends `_type`)'
            cand --since 'Only resources changed since this FHIR instant, e.g. 2024-01-01T00:00:00Z (`_since`)'
            cand --type-filter 'A search the resources of a type must match, e.g. Observation?status=final (repeatable; sends `_typeFilter`)'
            cand --elements 'Only these elements, e.g. id,status or Patient.birthDate (`_elements`)'
            cand --patient 'Only these patients (patient and group exports; sends a POST with `patient`)'
            cand --out 'Where the files, the export''s state and log.ndjson go (a new export without it: a new directory `export-<timestamp>`; --resume, --status and --cancel need it)'
            cand --parallel 'Files downloaded at the same time'
            cand --output-format '`_outputFormat`: application/fhir+ndjson, application/ndjson or ndjson'
            cand --until 'Only resources changed before this FHIR instant (`_until`, Bulk Data 3.0)'
            cand --organize-output-by 'Files of mixed types, in blocks per resource of this type, saved as output.N.ndjson (`organizeOutputBy`, Bulk Data 3.0)'
            cand --include-associated-data 'Associated data to include, e.g. LatestProvenanceResources (repeatable; `includeAssociatedData`)'
            cand --param 'A kick-off parameter smart does not name (repeatable)'
            cand --token-origin 'An origin besides the FHIR base''s that gets the token for the files, e.g. `https://files.example.org` (repeatable; profile key token_origins)'
            cand --deadline 'Give up after this long, all waits included (e.g. 90s, 45m, 12h, 3d; default: no limit); --resume continues'
            cand --retries 'Retries on 429/503, honouring Retry-After (GET and POST _search only)'
            cand --max-retry-wait 'Longest Retry-After wait to honour, in seconds; a server asking for more fails the command (default: the profile''s max_retry_wait, else 60)'
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --resume 'Continue the export saved in DIR (no new kick-off)'
            cand --status 'Poll the export saved in DIR once and report'
            cand --cancel 'Cancel the export saved in DIR at the server (DELETE) and forget it'
            cand --gzip 'Ask for gzip (Accept-Encoding) and keep the files compressed (.ndjson.gz)'
            cand --lenient 'Let the server ignore parameters it does not support instead of refusing the export (`Prefer: handling=lenient`)'
            cand --post 'Kick off with POST and a Parameters body (the default is GET, and POST when the server answers GET with 405)'
            cand --keep-job 'Do not DELETE the job at the server once every file is downloaded and checked'
            cand --partial-manifests 'Ask for partial manifests (`allowPartialManifests`): download each manifest page''s files as it arrives'
            cand --no-auth 'Send no token (open servers; any URL is then allowed)'
            cand -q 'No progress bar, notes or paging hints on stderr'
            cand --quiet 'No progress bar, notes or paging hints on stderr'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;check'= {
            cand --client-id 'Client id for the authorize and token checks (a public client, unless --secret-stdin, whose registered redirect URI is `--redirect-uri`). Default: the profile''s'
            cand --redirect-uri 'Redirect URI registered for the client'
            cand --scope 'Scope the client asks for'
            cand --other-patient 'A patient id the launch patient''s token must not read (for fhir.patient-compartment)'
            cand --only 'Run only these groups (discovery, authorize, token, fhir, revocation, registration, backend) or check ids; the report lists only them'
            cand --skip 'Leave out these check ids (listed as skipped)'
            cand --junit 'Write a JUnit XML report (one testsuite per group) to FILE'
            cand --transcript 'Write every HTTP exchange, redacted, to FILE'
            cand --html 'Write a self-contained HTML report to FILE'
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --secret-stdin 'Read the client''s secret from stdin: the checks act as a confidential client (client_secret_basic, or _post)'
            cand --browser 'Complete authorization requests that need a sign-in in the browser (`BROWSER` honoured; a program that signs in by itself makes it headless)'
            cand --no-login 'Run only what needs no user (the default without --browser)'
            cand --list 'List the checks (id, severity, title, reference, SMART 2.2 requirement ids, Inferno test ids) and exit'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;completions'= {
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;man'= {
            cand -p 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --profile 'Profile to use (default: the one chosen with `smart profile use`)'
            cand --color 'When to use colors (`NO_COLOR` is honoured by `auto`)'
            cand --timeout 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)'
            cand --cacert 'Extra PEM trust root(s) for TLS (TLS is always verified)'
            cand --token-store 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere'
            cand --json 'Machine-readable JSON output wherever there is output'
            cand -v 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand --verbose 'Trace HTTP requests and responses on stderr (secrets are redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smart;help'= {
            cand discover 'Read and validate a server''s SMART configuration'
            cand profile 'Manage server profiles (stored in the config file; never secrets)'
            cand login 'Sign in (SMART App Launch: browser, loopback redirect, PKCE) and store the tokens'
            cand status 'Show who is logged in, with what context and scopes, and for how long'
            cand token 'Print the access token (refreshed first when about to expire)'
            cand refresh 'Refresh the tokens now'
            cand logout 'Revoke the tokens at the server and delete them here'
            cand sandbox 'Run an embedded SMART on FHIR server for demos and tests'
            cand keys 'Client signing keys for private_key_jwt (backend services, asymmetric clients)'
            cand register 'Register a client at the server (RFC 7591) and save it as a new profile'
            cand query 'Search: `smart query Patient family=smith --all` (streams; see --output)'
            cand get 'Read one resource or any URL on the FHIR server: `smart get Patient/123`'
            cand create 'Create a resource: `smart create Patient -d @patient.json`'
            cand update 'Update a resource: `smart update Patient/123 -d @patient.json [--if-match 3]`'
            cand delete 'Delete a resource: `smart delete Patient/123`'
            cand capabilities 'Summarize the server''s CapabilityStatement (`--json` for all of it)'
            cand export 'FHIR Bulk Data export: kick-off, polling, parallel resumable download'
            cand check 'Smoke-test a server''s SMART conformance (for server implementers)'
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
            cand set-secret 'Store a profile''s client secret in the token store (read from stdin, never an argument)'
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
        &'smart;help;profile;set-secret'= {
        }
        &'smart;help;login'= {
        }
        &'smart;help;status'= {
        }
        &'smart;help;token'= {
        }
        &'smart;help;refresh'= {
        }
        &'smart;help;logout'= {
        }
        &'smart;help;sandbox'= {
            cand launch-url 'Print an EHR launch URL for an app, issued by a running sandbox'
        }
        &'smart;help;sandbox;launch-url'= {
        }
        &'smart;help;keys'= {
            cand generate 'Create a key pair, keep the private key (0600 PEM or the keychain), print the public JWKS'
            cand jwks 'Print the public JWKS of the profile''s key (or of --key FILE)'
        }
        &'smart;help;keys;generate'= {
        }
        &'smart;help;keys;jwks'= {
        }
        &'smart;help;register'= {
        }
        &'smart;help;query'= {
        }
        &'smart;help;get'= {
        }
        &'smart;help;create'= {
        }
        &'smart;help;update'= {
        }
        &'smart;help;delete'= {
        }
        &'smart;help;capabilities'= {
        }
        &'smart;help;export'= {
        }
        &'smart;help;check'= {
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

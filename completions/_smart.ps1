
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'smart' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'smart'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'smart' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('discover', 'discover', [CompletionResultType]::ParameterValue, 'Read and validate a server''s SMART configuration')
            [CompletionResult]::new('profile', 'profile', [CompletionResultType]::ParameterValue, 'Manage server profiles (stored in the config file; never secrets)')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Sign in (SMART App Launch: browser, loopback redirect, PKCE) and store the tokens')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show who is logged in, with what context and scopes, and for how long')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print the access token (refreshed first when about to expire)')
            [CompletionResult]::new('refresh', 'refresh', [CompletionResultType]::ParameterValue, 'Refresh the tokens now')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Revoke the tokens at the server and delete them here')
            [CompletionResult]::new('sandbox', 'sandbox', [CompletionResultType]::ParameterValue, 'Run an embedded SMART on FHIR server for demos and tests')
            [CompletionResult]::new('keys', 'keys', [CompletionResultType]::ParameterValue, 'Client signing keys for private_key_jwt (backend services, asymmetric clients)')
            [CompletionResult]::new('register', 'register', [CompletionResultType]::ParameterValue, 'Register a client at the server (RFC 7591) and save it as a new profile')
            [CompletionResult]::new('query', 'query', [CompletionResultType]::ParameterValue, 'Search: `smart query Patient family=smith --all` (streams; see --output)')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Read one resource or any URL on the FHIR server: `smart get Patient/123`')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a resource: `smart create Patient -d @patient.json`')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Update a resource: `smart update Patient/123 -d @patient.json [--if-match 3]`')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a resource: `smart delete Patient/123`')
            [CompletionResult]::new('capabilities', 'capabilities', [CompletionResultType]::ParameterValue, 'Summarize the server''s CapabilityStatement (`--json` for all of it)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'FHIR Bulk Data export: kick-off, polling, parallel resumable download')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Smoke-test a server''s SMART conformance (for server implementers)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'smart;discover' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;profile' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a profile (the first one becomes the default)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List profiles')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one profile, workarounds included (default: the current one)')
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Make a profile the default')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a profile')
            [CompletionResult]::new('set-secret', 'set-secret', [CompletionResultType]::ParameterValue, 'Store a profile''s client secret in the token store (read from stdin, never an argument)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'smart;profile;add' {
            [CompletionResult]::new('--fhir-base', '--fhir-base', [CompletionResultType]::ParameterName, 'FHIR base URL of the server')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'OAuth client id registered with the server')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Default scope to request at login')
            [CompletionResult]::new('--redirect-port', '--redirect-port', [CompletionResultType]::ParameterName, 'Fixed loopback port for the redirect URI (default: an ephemeral port)')
            [CompletionResult]::new('--client-type', '--client-type', [CompletionResultType]::ParameterName, 'Kind of OAuth client')
            [CompletionResult]::new('--aud', '--aud', [CompletionResultType]::ParameterName, 'Value to send as `aud` instead of the FHIR base')
            [CompletionResult]::new('--pkce', '--pkce', [CompletionResultType]::ParameterName, 'Workaround: PKCE `always` (default) or only `if-advertised`')
            [CompletionResult]::new('--token-auth-method', '--token-auth-method', [CompletionResultType]::ParameterName, 'Workaround: force this token endpoint client authentication method')
            [CompletionResult]::new('--authorize-param', '--authorize-param', [CompletionResultType]::ParameterName, 'Workaround: extra authorize request parameter (repeatable)')
            [CompletionResult]::new('--basic-auth-encoding', '--basic-auth-encoding', [CompletionResultType]::ParameterName, 'Workaround: how client_secret_basic encodes id and secret')
            [CompletionResult]::new('--max-retry-wait', '--max-retry-wait', [CompletionResultType]::ParameterName, 'Longest Retry-After wait to honour on 429/503, in seconds (default 60)')
            [CompletionResult]::new('--private-key', '--private-key', [CompletionResultType]::ParameterName, 'private_key_jwt: private key file (PEM, JWK or JWKS), or `keychain` (the token store)')
            [CompletionResult]::new('--kid', '--kid', [CompletionResultType]::ParameterName, 'private_key_jwt: key id the server knows the key by (default: its thumbprint)')
            [CompletionResult]::new('--alg', '--alg', [CompletionResultType]::ParameterName, 'private_key_jwt: signing algorithm (default: what the key signs with)')
            [CompletionResult]::new('--jku', '--jku', [CompletionResultType]::ParameterName, 'private_key_jwt: URL where the public JWKS is hosted (sent as `jku`)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--no-aud', '--no-aud', [CompletionResultType]::ParameterName, 'Do not send `aud` (for servers that reject it)')
            [CompletionResult]::new('--format-json', '--format-json', [CompletionResultType]::ParameterName, 'Workaround: add `_format=json` to FHIR requests (servers that answer XML)')
            [CompletionResult]::new('--no-scope-translation', '--no-scope-translation', [CompletionResultType]::ParameterName, 'Ask for scopes as written, even when the server advertises only the other scope dialect')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing profile of the same name')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;profile;list' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;profile;show' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;profile;use' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;profile;remove' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;profile;set-secret' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;profile;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a profile (the first one becomes the default)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List profiles')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one profile, workarounds included (default: the current one)')
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Make a profile the default')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a profile')
            [CompletionResult]::new('set-secret', 'set-secret', [CompletionResultType]::ParameterValue, 'Store a profile''s client secret in the token store (read from stdin, never an argument)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'smart;profile;help;add' {
            break
        }
        'smart;profile;help;list' {
            break
        }
        'smart;profile;help;show' {
            break
        }
        'smart;profile;help;use' {
            break
        }
        'smart;profile;help;remove' {
            break
        }
        'smart;profile;help;set-secret' {
            break
        }
        'smart;profile;help;help' {
            break
        }
        'smart;login' {
            [CompletionResult]::new('--fhir-base', '--fhir-base', [CompletionResultType]::ParameterName, 'FHIR base URL (creates or updates no profile unless none exists; see -p)')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'OAuth client id (overrides the profile''s)')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Scopes to request (overrides the profile''s)')
            [CompletionResult]::new('--launch', '--launch', [CompletionResultType]::ParameterName, 'EHR launch: the `launch` value the EHR gave (use with --iss)')
            [CompletionResult]::new('--iss', '--iss', [CompletionResultType]::ParameterName, 'EHR launch: the `iss` (FHIR base) the EHR gave')
            [CompletionResult]::new('--redirect-port', '--redirect-port', [CompletionResultType]::ParameterName, 'Fixed loopback port for the redirect URI (default: ephemeral)')
            [CompletionResult]::new('--redirect-uri', '--redirect-uri', [CompletionResultType]::ParameterName, 'Full pre-registered loopback redirect URI, e.g. http://127.0.0.1:8765/cb')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--ehr', '--ehr', [CompletionResultType]::ParameterName, 'EHR launch as a real app receives it: wait on http://127.0.0.1:PORT/launch for the EHR')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Do not open a browser; print the URL (for SSH and containers)')
            [CompletionResult]::new('--secret-stdin', '--secret-stdin', [CompletionResultType]::ParameterName, 'Read the client secret from stdin and store it (confidential clients)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;status' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;token' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--decode', '--decode', [CompletionResultType]::ParameterName, 'Show the JWT header and claims (not verified) instead of the token; an opaque token is named as such')
            [CompletionResult]::new('--introspect', '--introspect', [CompletionResultType]::ParameterName, 'Ask the server''s introspection endpoint whether the token is active')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;refresh' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;logout' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Log out of every profile')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;sandbox' {
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to listen on (0 = an ephemeral port)')
            [CompletionResult]::new('--bind', '--bind', [CompletionResultType]::ParameterName, 'Address to bind (loopback by default)')
            [CompletionResult]::new('--patients', '--patients', [CompletionResultType]::ParameterName, 'Number of synthetic patients to generate')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed for the synthetic data (same seed, same data)')
            [CompletionResult]::new('--upstream', '--upstream', [CompletionResultType]::ParameterName, 'Put SMART authorization in front of this plain FHIR server instead of the synthetic data')
            [CompletionResult]::new('--token-lifetime', '--token-lifetime', [CompletionResultType]::ParameterName, 'Access token lifetime in seconds')
            [CompletionResult]::new('--clients', '--clients', [CompletionResultType]::ParameterName, 'Extra client registrations (JSON file)')
            [CompletionResult]::new('--fault', '--fault', [CompletionResultType]::ParameterName, 'Misbehave in one named way (repeatable or comma-separated; `--fault help` lists them)')
            [CompletionResult]::new('--quirk', '--quirk', [CompletionResultType]::ParameterName, 'Behave like some real EHR servers do (repeatable or comma-separated; `--quirk help` lists them)')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'Serve https with this certificate chain (PEM)')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'Private key (PEM) for --tls-cert')
            [CompletionResult]::new('--export-delay', '--export-delay', [CompletionResultType]::ParameterName, 'Bulk export jobs stay in progress at least this long (seconds, fractions allowed)')
            [CompletionResult]::new('--export-file-lines', '--export-file-lines', [CompletionResultType]::ParameterName, 'Resources per bulk export file at most (a type with more gets several files)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--auto-approve', '--auto-approve', [CompletionResultType]::ParameterName, 'Approve authorization requests without showing the consent page')
            [CompletionResult]::new('--allow-loopback-jwks-uri', '--allow-loopback-jwks-uri', [CompletionResultType]::ParameterName, 'Accept plain-http jwks_uri on loopback (127.0.0.1, [::1], localhost), for local tests; otherwise a registered jwks_uri must be https')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('launch-url', 'launch-url', [CompletionResultType]::ParameterValue, 'Print an EHR launch URL for an app, issued by a running sandbox')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'smart;sandbox;launch-url' {
            [CompletionResult]::new('--app', '--app', [CompletionResultType]::ParameterName, 'The app''s launch URL (where the EHR sends `iss` and `launch`)')
            [CompletionResult]::new('--patient', '--patient', [CompletionResultType]::ParameterName, 'Patient in context')
            [CompletionResult]::new('--encounter', '--encounter', [CompletionResultType]::ParameterName, 'Encounter in context')
            [CompletionResult]::new('--base', '--base', [CompletionResultType]::ParameterName, 'FHIR base URL of the running sandbox')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;sandbox;help' {
            [CompletionResult]::new('launch-url', 'launch-url', [CompletionResultType]::ParameterValue, 'Print an EHR launch URL for an app, issued by a running sandbox')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'smart;sandbox;help;launch-url' {
            break
        }
        'smart;sandbox;help;help' {
            break
        }
        'smart;keys' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Create a key pair, keep the private key (0600 PEM or JWK, or the keychain), print the public JWKS')
            [CompletionResult]::new('jwks', 'jwks', [CompletionResultType]::ParameterValue, 'Print the public JWKS of the profile''s key (or of --key FILE)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'smart;keys;generate' {
            [CompletionResult]::new('--alg', '--alg', [CompletionResultType]::ParameterName, 'Signing algorithm: ES384 (P-384) or RS384 (RSA 2048)')
            [CompletionResult]::new('--kid', '--kid', [CompletionResultType]::ParameterName, 'Key id to publish (default: the key''s RFC 7638 thumbprint)')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write the private key (mode 0600) and the JWKS into DIR (default: .)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How the private key file is written: PKCS#8 PEM (NAME.key.pem) or a private JWK with kid and alg (NAME.key.json)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--keychain', '--keychain', [CompletionResultType]::ParameterName, 'Keep the private key in the token store (keychain) under the profile instead')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace existing key files')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;keys;jwks' {
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Private key file (PEM, JWK or JWKS) to read instead of the profile''s key')
            [CompletionResult]::new('--kid', '--kid', [CompletionResultType]::ParameterName, 'Key id to publish (default: the profile''s kid, else the key''s thumbprint)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;keys;help' {
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Create a key pair, keep the private key (0600 PEM or JWK, or the keychain), print the public JWKS')
            [CompletionResult]::new('jwks', 'jwks', [CompletionResultType]::ParameterValue, 'Print the public JWKS of the profile''s key (or of --key FILE)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'smart;keys;help;generate' {
            break
        }
        'smart;keys;help;jwks' {
            break
        }
        'smart;keys;help;help' {
            break
        }
        'smart;register' {
            [CompletionResult]::new('--fhir-base', '--fhir-base', [CompletionResultType]::ParameterName, 'FHIR base URL of the server (default: SMART_FHIR_BASE)')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Client name shown to users and administrators')
            [CompletionResult]::new('--client-type', '--client-type', [CompletionResultType]::ParameterName, 'Kind of client (default: backend with a key, confidential-asymmetric with a key and --redirect-port, else public)')
            [CompletionResult]::new('--redirect-port', '--redirect-port', [CompletionResultType]::ParameterName, 'Fixed loopback redirect port (default: any port, RFC 8252)')
            [CompletionResult]::new('--jwks', '--jwks', [CompletionResultType]::ParameterName, 'Public JWKS file to register (default: derived from the private key)')
            [CompletionResult]::new('--jwks-url', '--jwks-url', [CompletionResultType]::ParameterName, 'Register this jwks_uri instead of inline keys (also sent as `jku`)')
            [CompletionResult]::new('--private-key', '--private-key', [CompletionResultType]::ParameterName, 'Private key for the new profile: a PEM, JWK or JWKS file, or `keychain` (default: SMART_PRIVATE_KEY)')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Scopes to register and to request (backend default: system/*.rs)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing profile of the same name')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;query' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Stop after N resources (following `next` links as needed)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Page size (sends `_count`)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, ndjson when piped]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, ndjson when piped]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries on 429/503, honouring Retry-After (GET and POST _search only)')
            [CompletionResult]::new('--max-retry-wait', '--max-retry-wait', [CompletionResultType]::ParameterName, 'Longest Retry-After wait to honour, in seconds; a server asking for more fails the command (default: the profile''s max_retry_wait, else 60)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Follow `next` links to the end, writing each page as it arrives')
            [CompletionResult]::new('--post', '--post', [CompletionResultType]::ParameterName, 'POST [base]/[Type]/_search with a form body: parameters stay out of URLs and logs (profile key `post_search = true` makes it the default)')
            [CompletionResult]::new('--get', '--get', [CompletionResultType]::ParameterName, 'Search with GET even when the profile sets `post_search = true`')
            [CompletionResult]::new('--no-auth', '--no-auth', [CompletionResultType]::ParameterName, 'Send no token (open servers; any URL is then allowed)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar, notes or paging hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar, notes or paging hints on stderr')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;get' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format [default: json; a Bundle answer can be shown as ndjson, table or ids]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format [default: json; a Bundle answer can be shown as ndjson, table or ids]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries on 429/503, honouring Retry-After (GET and POST _search only)')
            [CompletionResult]::new('--max-retry-wait', '--max-retry-wait', [CompletionResultType]::ParameterName, 'Longest Retry-After wait to honour, in seconds; a server asking for more fails the command (default: the profile''s max_retry_wait, else 60)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--no-auth', '--no-auth', [CompletionResultType]::ParameterName, 'Send no token (open servers; any URL is then allowed)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar, notes or paging hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar, notes or paging hints on stderr')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;create' {
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'The resource: @file.json, - for stdin (the default when stdin is not a terminal), or inline JSON')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'The resource: @file.json, - for stdin (the default when stdin is not a terminal), or inline JSON')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries on 429/503, honouring Retry-After (GET and POST _search only)')
            [CompletionResult]::new('--max-retry-wait', '--max-retry-wait', [CompletionResultType]::ParameterName, 'Longest Retry-After wait to honour, in seconds; a server asking for more fails the command (default: the profile''s max_retry_wait, else 60)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--no-auth', '--no-auth', [CompletionResultType]::ParameterName, 'Send no token (open servers; any URL is then allowed)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar, notes or paging hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar, notes or paging hints on stderr')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;update' {
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'The resource: @file.json, - for stdin (the default when stdin is not a terminal), or inline JSON')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'The resource: @file.json, - for stdin (the default when stdin is not a terminal), or inline JSON')
            [CompletionResult]::new('--if-match', '--if-match', [CompletionResultType]::ParameterName, 'Only if the current version is this ETag (W/"3", "3" or 3); else the server answers 412')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries on 429/503, honouring Retry-After (GET and POST _search only)')
            [CompletionResult]::new('--max-retry-wait', '--max-retry-wait', [CompletionResultType]::ParameterName, 'Longest Retry-After wait to honour, in seconds; a server asking for more fails the command (default: the profile''s max_retry_wait, else 60)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--no-auth', '--no-auth', [CompletionResultType]::ParameterName, 'Send no token (open servers; any URL is then allowed)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar, notes or paging hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar, notes or paging hints on stderr')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;delete' {
            [CompletionResult]::new('--if-match', '--if-match', [CompletionResultType]::ParameterName, 'Only if the current version is this ETag (W/"3", "3" or 3)')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries on 429/503, honouring Retry-After (GET and POST _search only)')
            [CompletionResult]::new('--max-retry-wait', '--max-retry-wait', [CompletionResultType]::ParameterName, 'Longest Retry-After wait to honour, in seconds; a server asking for more fails the command (default: the profile''s max_retry_wait, else 60)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--no-auth', '--no-auth', [CompletionResultType]::ParameterName, 'Send no token (open servers; any URL is then allowed)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar, notes or paging hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar, notes or paging hints on stderr')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;capabilities' {
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries on 429/503, honouring Retry-After (GET and POST _search only)')
            [CompletionResult]::new('--max-retry-wait', '--max-retry-wait', [CompletionResultType]::ParameterName, 'Longest Retry-After wait to honour, in seconds; a server asking for more fails the command (default: the profile''s max_retry_wait, else 60)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--statement', '--statement', [CompletionResultType]::ParameterName, 'Print the whole CapabilityStatement as JSON (same as the global --json)')
            [CompletionResult]::new('--no-auth', '--no-auth', [CompletionResultType]::ParameterName, 'Send no token (open servers; any URL is then allowed)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar, notes or paging hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar, notes or paging hints on stderr')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;export' {
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Resource types to export (comma-separated or repeated; sends `_type`)')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only resources changed since this FHIR instant, e.g. 2024-01-01T00:00:00Z (`_since`); `auto`: since the last export that finished into --out DIR (numbered exports)')
            [CompletionResult]::new('--type-filter', '--type-filter', [CompletionResultType]::ParameterName, 'A search the resources of a type must match, e.g. Observation?status=final (repeatable; sends `_typeFilter`)')
            [CompletionResult]::new('--elements', '--elements', [CompletionResultType]::ParameterName, 'Only these elements, e.g. id,status or Patient.birthDate (`_elements`)')
            [CompletionResult]::new('--patient', '--patient', [CompletionResultType]::ParameterName, 'Only these patients (patient and group exports; sends a POST with `patient`)')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Where the files, the export''s state and log.ndjson go (a new export without it: a new directory `export-<timestamp>`; --resume, --status and --cancel need it)')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'Files downloaded at the same time')
            [CompletionResult]::new('--output-format', '--output-format', [CompletionResultType]::ParameterName, '`_outputFormat`: application/fhir+ndjson, application/ndjson or ndjson')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Only resources changed before this FHIR instant (`_until`, Bulk Data 3.0)')
            [CompletionResult]::new('--organize-output-by', '--organize-output-by', [CompletionResultType]::ParameterName, 'Files of mixed types, in blocks per resource of this type, saved as output.N.ndjson (`organizeOutputBy`, Bulk Data 3.0)')
            [CompletionResult]::new('--include-associated-data', '--include-associated-data', [CompletionResultType]::ParameterName, 'Associated data to include, e.g. LatestProvenanceResources (repeatable; `includeAssociatedData`)')
            [CompletionResult]::new('--param', '--param', [CompletionResultType]::ParameterName, 'A kick-off parameter smart does not name (repeatable)')
            [CompletionResult]::new('--token-origin', '--token-origin', [CompletionResultType]::ParameterName, 'An origin besides the FHIR base''s that gets the token for the files, e.g. `https://files.example.org` (repeatable; profile key token_origins)')
            [CompletionResult]::new('--deadline', '--deadline', [CompletionResultType]::ParameterName, 'Give up after this long, all waits included (e.g. 90s, 45m, 12h, 3d; default: no limit); --resume continues')
            [CompletionResult]::new('--attachment-types', '--attachment-types', [CompletionResultType]::ParameterName, 'MIME types of the notes --hydrate inlines (comma-separated; default text/plain,text/html,application/xhtml+xml)')
            [CompletionResult]::new('--attachment-max-size', '--attachment-max-size', [CompletionResultType]::ParameterName, 'The largest note --hydrate inlines, e.g. 500K or 20M (default 10M)')
            [CompletionResult]::new('--patients', '--patients', [CompletionResultType]::ParameterName, 'The crawl''s patients: a file of ids (one a line, or CSV with an ID or MRN column) or an earlier export''s directory (its Patient files)')
            [CompletionResult]::new('--id-system', '--id-system', [CompletionResultType]::ParameterName, 'The values of --patients (or --patient) are identifiers of this system, searched as `identifier=URI|VALUE`')
            [CompletionResult]::new('--max-rate', '--max-rate', [CompletionResultType]::ParameterName, 'At most R requests a second, all searches together (e.g. 20 or 0.5)')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries on 429/503, honouring Retry-After (GET and POST _search only)')
            [CompletionResult]::new('--max-retry-wait', '--max-retry-wait', [CompletionResultType]::ParameterName, 'Longest Retry-After wait to honour, in seconds; a server asking for more fails the command (default: the profile''s max_retry_wait, else 60)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Continue the export saved in DIR (no new kick-off)')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Poll the export saved in DIR once and report')
            [CompletionResult]::new('--cancel', '--cancel', [CompletionResultType]::ParameterName, 'Cancel the export saved in DIR at the server (DELETE) and forget it')
            [CompletionResult]::new('--gzip', '--gzip', [CompletionResultType]::ParameterName, 'Ask for gzip (Accept-Encoding) and keep the files compressed (.ndjson.gz)')
            [CompletionResult]::new('--lenient', '--lenient', [CompletionResultType]::ParameterName, 'Let the server ignore parameters it does not support instead of refusing the export (`Prefer: handling=lenient`)')
            [CompletionResult]::new('--post', '--post', [CompletionResultType]::ParameterName, 'Kick off with POST and a Parameters body (the default is GET, and POST when the server answers GET with 405)')
            [CompletionResult]::new('--keep-job', '--keep-job', [CompletionResultType]::ParameterName, 'Do not DELETE the job at the server once every file is downloaded and checked')
            [CompletionResult]::new('--partial-manifests', '--partial-manifests', [CompletionResultType]::ParameterName, 'Ask for partial manifests (`allowPartialManifests`): download each manifest page''s files as it arrives')
            [CompletionResult]::new('--hydrate', '--hydrate', [CompletionResultType]::ParameterName, 'After the export, fetch what it references but left out (Medication, Practitioner, PractitionerRole, Organization, Location, missing Observations) and inline its notes; with --out DIR of a finished export and no export parameters, hydrate that export (no new one)')
            [CompletionResult]::new('--crawl', '--crawl', [CompletionResultType]::ParameterName, 'Crawl with FHIR searches, patient by patient and type by type, instead of `$export` (for servers whose `$export` is missing, slow or partial)')
            [CompletionResult]::new('--no-auth', '--no-auth', [CompletionResultType]::ParameterName, 'Send no token (open servers; any URL is then allowed)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar, notes or paging hints on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar, notes or paging hints on stderr')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;check' {
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'Client id for the authorize and token checks (a public client, unless --secret-stdin, whose registered redirect URI is `--redirect-uri`). Default: the profile''s')
            [CompletionResult]::new('--redirect-uri', '--redirect-uri', [CompletionResultType]::ParameterName, 'Redirect URI registered for the client')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Scope the client asks for')
            [CompletionResult]::new('--other-patient', '--other-patient', [CompletionResultType]::ParameterName, 'A patient id the launch patient''s token must not read (for fhir.patient-compartment)')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Run only these groups (discovery, authorize, token, fhir, revocation, registration, backend, bulk) or check ids; the report lists only them')
            [CompletionResult]::new('--skip', '--skip', [CompletionResultType]::ParameterName, 'Leave out these check ids (listed as skipped)')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Write a JUnit XML report (one testsuite per group) to FILE')
            [CompletionResult]::new('--transcript', '--transcript', [CompletionResultType]::ParameterName, 'Write every HTTP exchange, redacted, to FILE')
            [CompletionResult]::new('--html', '--html', [CompletionResultType]::ParameterName, 'Write a self-contained HTML report to FILE')
            [CompletionResult]::new('--bulk-level', '--bulk-level', [CompletionResultType]::ParameterName, 'Export levels the bulk checks run at: system, patient, group:ID (repeat or comma-separate). Default: the levels the CapabilityStatement declares (a declared Group export needs group:ID)')
            [CompletionResult]::new('--bulk-timeout', '--bulk-timeout', [CompletionResultType]::ParameterName, 'Seconds an export job of the bulk checks may take to complete')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--secret-stdin', '--secret-stdin', [CompletionResultType]::ParameterName, 'Read the client''s secret from stdin: the checks act as a confidential client (client_secret_basic, or _post)')
            [CompletionResult]::new('--browser', '--browser', [CompletionResultType]::ParameterName, 'Complete authorization requests that need a sign-in in the browser (`BROWSER` honoured; a program that signs in by itself makes it headless)')
            [CompletionResult]::new('--no-login', '--no-login', [CompletionResultType]::ParameterName, 'Run only what needs no user (the default without --browser)')
            [CompletionResult]::new('--ehr', '--ehr', [CompletionResultType]::ParameterName, 'EHR launch: print the app''s launch URL, wait (up to --timeout, default 120 s) for the EHR to open it, and run the checks on that launch')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List the checks (id, severity, title, reference, SMART 2.2 requirement ids, Inferno test ids) and exit')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;completions' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;man' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (default: the one chosen with `smart profile use`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (`NO_COLOR` is honoured by `auto`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra PEM trust root(s) for TLS (TLS is always verified)')
            [CompletionResult]::new('--token-store', '--token-store', [CompletionResultType]::ParameterName, 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header to every request to the FHIR server''s origin (discovery included; not the token endpoint): ''Name: value'', repeatable')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable JSON output wherever there is output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace HTTP requests and responses on stderr (secrets are redacted)')
            [CompletionResult]::new('--header-token-endpoint', '--header-token-endpoint', [CompletionResultType]::ParameterName, 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smart;help' {
            [CompletionResult]::new('discover', 'discover', [CompletionResultType]::ParameterValue, 'Read and validate a server''s SMART configuration')
            [CompletionResult]::new('profile', 'profile', [CompletionResultType]::ParameterValue, 'Manage server profiles (stored in the config file; never secrets)')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Sign in (SMART App Launch: browser, loopback redirect, PKCE) and store the tokens')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show who is logged in, with what context and scopes, and for how long')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print the access token (refreshed first when about to expire)')
            [CompletionResult]::new('refresh', 'refresh', [CompletionResultType]::ParameterValue, 'Refresh the tokens now')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Revoke the tokens at the server and delete them here')
            [CompletionResult]::new('sandbox', 'sandbox', [CompletionResultType]::ParameterValue, 'Run an embedded SMART on FHIR server for demos and tests')
            [CompletionResult]::new('keys', 'keys', [CompletionResultType]::ParameterValue, 'Client signing keys for private_key_jwt (backend services, asymmetric clients)')
            [CompletionResult]::new('register', 'register', [CompletionResultType]::ParameterValue, 'Register a client at the server (RFC 7591) and save it as a new profile')
            [CompletionResult]::new('query', 'query', [CompletionResultType]::ParameterValue, 'Search: `smart query Patient family=smith --all` (streams; see --output)')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Read one resource or any URL on the FHIR server: `smart get Patient/123`')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a resource: `smart create Patient -d @patient.json`')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Update a resource: `smart update Patient/123 -d @patient.json [--if-match 3]`')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a resource: `smart delete Patient/123`')
            [CompletionResult]::new('capabilities', 'capabilities', [CompletionResultType]::ParameterValue, 'Summarize the server''s CapabilityStatement (`--json` for all of it)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'FHIR Bulk Data export: kick-off, polling, parallel resumable download')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Smoke-test a server''s SMART conformance (for server implementers)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'smart;help;discover' {
            break
        }
        'smart;help;profile' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a profile (the first one becomes the default)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List profiles')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one profile, workarounds included (default: the current one)')
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Make a profile the default')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a profile')
            [CompletionResult]::new('set-secret', 'set-secret', [CompletionResultType]::ParameterValue, 'Store a profile''s client secret in the token store (read from stdin, never an argument)')
            break
        }
        'smart;help;profile;add' {
            break
        }
        'smart;help;profile;list' {
            break
        }
        'smart;help;profile;show' {
            break
        }
        'smart;help;profile;use' {
            break
        }
        'smart;help;profile;remove' {
            break
        }
        'smart;help;profile;set-secret' {
            break
        }
        'smart;help;login' {
            break
        }
        'smart;help;status' {
            break
        }
        'smart;help;token' {
            break
        }
        'smart;help;refresh' {
            break
        }
        'smart;help;logout' {
            break
        }
        'smart;help;sandbox' {
            [CompletionResult]::new('launch-url', 'launch-url', [CompletionResultType]::ParameterValue, 'Print an EHR launch URL for an app, issued by a running sandbox')
            break
        }
        'smart;help;sandbox;launch-url' {
            break
        }
        'smart;help;keys' {
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Create a key pair, keep the private key (0600 PEM or JWK, or the keychain), print the public JWKS')
            [CompletionResult]::new('jwks', 'jwks', [CompletionResultType]::ParameterValue, 'Print the public JWKS of the profile''s key (or of --key FILE)')
            break
        }
        'smart;help;keys;generate' {
            break
        }
        'smart;help;keys;jwks' {
            break
        }
        'smart;help;register' {
            break
        }
        'smart;help;query' {
            break
        }
        'smart;help;get' {
            break
        }
        'smart;help;create' {
            break
        }
        'smart;help;update' {
            break
        }
        'smart;help;delete' {
            break
        }
        'smart;help;capabilities' {
            break
        }
        'smart;help;export' {
            break
        }
        'smart;help;check' {
            break
        }
        'smart;help;completions' {
            break
        }
        'smart;help;man' {
            break
        }
        'smart;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}

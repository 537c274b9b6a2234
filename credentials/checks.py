"""System checks of the vault configuration (``manage.py check`` and every start)."""

from django.core.checks import Warning, register

from credentials.vault import load_keyring


@register()
def vault_keyring(app_configs, **kwargs):
    ring = load_keyring()
    problems = []
    for version, problem in sorted(ring.problems.items()):
        problems.append(
            Warning(
                f"Vault master key version {version} in PSA_VAULT_KEYS is unusable: {problem}.",
                hint="Each entry is '<version>:<base64 of 32 random bytes>'. Secrets needing it cannot be revealed.",
                id="credentials.W001",
            )
        )
    if not ring.keys and not ring.problems:
        problems.append(
            Warning(
                "No vault master key is configured.",
                hint="Set PSA_VAULT_KEYS; until then secure values can be neither written nor revealed.",
                id="credentials.W002",
            )
        )
    return problems

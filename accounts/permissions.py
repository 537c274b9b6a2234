"""Permission nodes of identity and access (seed 004's user, role and permission nodes, plus API keys)."""

from psa.nodes import category, node

USER = category("user", "User Permissions", "Reading and managing users")
node("user.read", "Read your own user", USER)
node("user.write", "Update your own name, email and image", USER, ["user.read"])
node("user.read.other", "Read other users", USER)
node("user.list.other", "List all users", USER, ["user.read.other"])
node("user.create.other", "Create users", USER, ["user.read.other"])
node("user.write.other", "Update other users", USER, ["user.read.other"])
node("user.roles.other", "Change the roles of other users", USER, ["user.write.other"])
node("user.permissions.other", "Change the direct permission nodes of other users", USER, ["user.write.other"])
node("user.delete.other", "Delete other users", USER, ["user.read.other"])
node(
    "user.two_factor.other",
    "Turn off another user's two-factor sign-in (a lost phone), so they can set it up again",
    USER,
    ["user.write.other"],
)

ROLE = category("role", "Role Permissions", "Reading and managing roles")
node("role.read", "Read roles and the permission-node registry", ROLE)
node("role.list", "List all roles", ROLE, ["role.read"])
node("role.create", "Create roles", ROLE, ["role.read"])
node("role.modify", "Update roles and their permission nodes", ROLE, ["role.read"])
node("role.delete", "Delete roles", ROLE, ["role.read"])

API_KEY = category("api_key", "API Key Permissions", "Creating and revoking API keys")
node("api_key.read", "List and read your own API keys", API_KEY)
node("api_key.create", "Create API keys for yourself", API_KEY, ["api_key.read"])
node("api_key.delete", "Deactivate your own API keys", API_KEY, ["api_key.read"])
node("api_key.read.other", "List and read every user's API keys", API_KEY, ["api_key.read"])
node("api_key.delete.other", "Deactivate any user's API keys", API_KEY, ["api_key.read.other"])

"""Permission nodes of the clients app."""

from psa.nodes import category, node

CLIENT = category("client", "Client Permissions", "Reading and managing the MSP's clients")
node("client.read", "List and read clients", CLIENT)
node("client.read.address", "See a client's address details (include_address)", CLIENT, ["client.read"])
node(
    "client.read.contacts",
    "See all of a client's contacts on the client (include_all_contacts)",
    CLIENT,
    ["client.read"],
)
node("client.read.configurations", "List a client's configurations (its assets)", CLIENT, ["client.read"])
node("client.create", "Create clients", CLIENT, ["client.read"])
node("client.update", "Update clients", CLIENT, ["client.read"])
node("client.delete", "Delete clients", CLIENT, ["client.read"])

CONTACT = category("contact", "Contact Permissions", "Reading and managing client contacts")
node("contact.read", "List and read contacts", CONTACT)
node("contact.create", "Create contacts", CONTACT, ["contact.read"])
node("contact.update", "Update contacts", CONTACT, ["contact.read"])
node("contact.delete", "Delete contacts", CONTACT, ["contact.read"])

LOCATION = category("location", "Location Permissions", "Reading and managing client sites")
node("location.read", "List and read locations", LOCATION)
node("location.create", "Create locations", LOCATION, ["location.read"])
node("location.update", "Update locations", LOCATION, ["location.read"])
node("location.delete", "Delete locations", LOCATION, ["location.read"])

VENDOR = category("vendor", "Vendor Permissions", "Reading and managing vendors")
node("vendor.read", "List and read vendors", VENDOR)
node("vendor.create", "Create vendors", VENDOR, ["vendor.read"])
node("vendor.update", "Update vendors", VENDOR, ["vendor.read"])
node("vendor.delete", "Delete vendors", VENDOR, ["vendor.read"])

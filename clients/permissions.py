"""Permission nodes of the clients app."""

from psa.nodes import category, node

CLIENT = category("client", "Client Permissions", "Reading and managing the MSP's clients")
node("client.read", "List and read clients", CLIENT)
node("client.create", "Create clients", CLIENT, ["client.read"])
node("client.update", "Update clients", CLIENT, ["client.read"])
node("client.delete", "Delete clients", CLIENT, ["client.read"])

CONTACT = category("contact", "Contact Permissions", "Reading and managing client contacts")
node("contact.read", "List and read contacts", CONTACT)
node("contact.create", "Create contacts", CONTACT, ["contact.read"])
node("contact.update", "Update contacts", CONTACT, ["contact.read"])
node("contact.delete", "Delete contacts", CONTACT, ["contact.read"])

"""portal: the pages people use (requester portal, support staff console), over the services'
public APIs with the signed-in person's token."""

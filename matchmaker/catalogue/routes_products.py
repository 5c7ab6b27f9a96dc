"""Product views: create, edit, images, the public product page."""

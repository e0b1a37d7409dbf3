"""The HTTP side: pages, the JSON API and the helpers they share."""

"""Star-rating campaigns 星级评定, photo contests and owners'-representative forums 业主代表座谈会."""

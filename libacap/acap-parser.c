/* placeholder */ extern int acap_placeholder_30227;

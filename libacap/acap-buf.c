/* placeholder */ extern int acap_placeholder_32665;

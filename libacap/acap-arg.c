/* placeholder */ extern int acap_placeholder_24308;

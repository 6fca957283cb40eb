# placeholder; owned by the module that fills it

from devtools.botapi_emulator.server import main

raise SystemExit(main())

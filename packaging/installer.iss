; Inno Setup script: per-user install of the PyInstaller folder (dist\ShopSync).
; No administrator prompt: a shop PC's owner is often not an administrator.
; Build (after pyinstaller):  iscc /DAppVersion=0.1.0 packaging\installer.iss
; Notes: packaging/BUILD.md.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define AppName "ShopSync"
#define GuiExe "ShopSync.exe"
; platformdirs.user_data_dir("ShopSync", appauthor=False) on Windows (see app/config.py).
#define DataDir "{localappdata}\ShopSync"

[Setup]
AppId={{82C71D26-6C1D-49C8-8D06-325D9C743F78}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppName}
VersionInfoVersion={#AppVersion}
PrivilegesRequired=lowest
DefaultDirName={localappdata}\Programs\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
DisableDirPage=auto
OutputDir=..\dist\installer
OutputBaseFilename={#AppName}-Setup-{#AppVersion}
SetupIconFile=..\resources\icons\shopsync.ico
UninstallDisplayIcon={app}\{#GuiExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
CloseApplications=yes

[Languages]
; Inno Setup ships no Vietnamese wizard translation; the texts we add ourselves are bilingual.
; To show the whole wizard in Vietnamese, put Vietnamese.isl (Inno's unofficial translations)
; beside this file and add:  Name: "vi"; MessagesFile: "Vietnamese.isl"
Name: "en"; MessagesFile: "compiler:Default.isl"

[CustomMessages]
en.KeepDataQuestion=Giữ lại dữ liệu của ShopSync (kết nối, danh mục đã đồng bộ, nhật ký) trong thư mục:%n%1%n%nChọn "Yes" để giữ lại (cài lại sau sẽ dùng tiếp). Chọn "No" để xoá hẳn.%n%n---%n%nKeep ShopSync's data (connections, synced catalog, logs) in:%n%1%n%nChoose "Yes" to keep it (a later install reuses it). Choose "No" to delete it.
en.SecretsNote=Khoá API vẫn nằm trong Windows Credential Manager (mục "ShopSync"); hãy xoá ở đó nếu không dùng nữa.%n%nAPI keys stay in Windows Credential Manager (entries "ShopSync"); remove them there if no longer needed.
en.DesktopIcon=Tạo biểu tượng trên màn hình / Create a desktop icon

[Tasks]
Name: "desktopicon"; Description: "{cm:DesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\dist\ShopSync\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{userprograms}\{#AppName}"; Filename: "{app}\{#GuiExe}"; IconFilename: "{app}\{#GuiExe}"
Name: "{userdesktop}\{#AppName}"; Filename: "{app}\{#GuiExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#GuiExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
{ After the program files are gone, ask whether to keep the data folder. A silent uninstall
  (updates, IT scripts) always keeps it: data is never deleted without a person saying so. }
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  DataPath: String;
begin
  if CurUninstallStep <> usPostUninstall then
    exit;
  DataPath := ExpandConstant('{#DataDir}');
  if UninstallSilent() or not DirExists(DataPath) then
    exit;
  if MsgBox(FmtMessage(CustomMessage('KeepDataQuestion'), [DataPath]),
            mbConfirmation, MB_YESNO or MB_DEFBUTTON1) = IDNO then
  begin
    DelTree(DataPath, True, True, True);
    MsgBox(CustomMessage('SecretsNote'), mbInformation, MB_OK);
  end;
end;
